/** Plain HTTP requests for the federation benchmarks, timed as they arrive. */
import { type Agent, request } from "node:http";

export interface Answer {
  status: number;
  body: Buffer;
  /** performance.now() when the status line arrived. */
  headersAt: number;
  /** performance.now() when the body was complete. */
  endAt: number;
}

/** One HTTP request on a keep-alive agent. */
export function send(
  url: string,
  agent: Agent,
  opts: { method?: string; headers?: Record<string, string>; body?: Buffer } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? "GET", headers: opts.headers ?? {}, agent }, (res) => {
      const headersAt = performance.now();
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headersAt, endAt: performance.now() }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}
