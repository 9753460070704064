import { request as httpRequest, type IncomingHttpHeaders } from "node:http";

/*
 * HTTP calls made from a chosen loopback address, so that each test's client has an address of its
 * own for the limits keyed by address (server-process.ts starts the servers they call).
 */

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or null when it is not JSON. */
  json: unknown;
}

export interface Call {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** One request to `url` over a connection of its own, from the local address `from`. */
export function requestFrom(from: string, url: string, call: Call = {}): Promise<Answer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: call.method ?? "GET",
        headers: {
          ...(call.body === undefined ? {} : { "content-length": String(Buffer.byteLength(call.body)) }),
          ...call.headers,
        },
        localAddress: from,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown = null;
          try {
            json = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on("error", reject);
    req.end(call.body);
  });
}

/** Polls `url` from `from` until it answers 200; fails after `ms`. */
export async function waitReady(from: string, url: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if ((await requestFrom(from, url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not become ready`);
}
