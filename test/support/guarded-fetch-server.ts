import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Server as TlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { expect } from "vitest";
import { FetchRefused, type GuardedFetchOptions } from "../../federation/http/guarded-fetch.js";

/*
 * The peer the guarded client's tests fetch from: one table of routes (redirects, oversized,
 * compressed, slow and broken answers) served over http or https on loopback, a resolver from a
 * fixed table, and a check for refusals.
 */

export type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

export /** The routes both test servers answer. `base` is the origin the server is reached by. */
function routes(base: () => string): Record<string, Handler> {
  const redirect =
    (status: number, location: string | (() => string)) => (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(status, { location: typeof location === "string" ? location : location() }).end("moved");
    };
  return {
    "/json": (_req, res) => {
      res.writeHead(200, { "content-type": "application/activity+json" }).end('{"type":"Note","id":"x"}');
    },
    "/echo": (req, res, body) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: body.toString() }));
    },
    "/hop2": redirect(302, "/hop1"),
    "/hop1": redirect(301, "/echo"),
    "/loop": redirect(302, "/loop"),
    "/see-other": redirect(303, "/echo"),
    "/temporary": redirect(307, "/echo"),
    "/found": redirect(302, "/echo"),
    "/no-location": (_req, res) => res.writeHead(302).end(),
    "/to-ftp": redirect(302, "ftp://example.com/file"),
    "/to-file": redirect(302, "file:///etc/passwd"),
    "/to-credentials": redirect(302, () => `${base().replace("://", "://user:pw@")}/json`),
    "/to-evil": redirect(302, () => base().replace("good.test", "evil.test")),
    "/to-http": redirect(302, () => `${base().replace("https:", "http:")}/json`),
    "/big-announced": (_req, res) => {
      res.writeHead(200, { "content-length": String(5_000_000) });
      res.write(Buffer.alloc(1000));
    },
    "/big-chunked": (_req, res) => {
      res.writeHead(200);
      let sent = 0;
      const more = () => {
        while (sent < 3_000_000) {
          sent += 64 * 1024;
          if (!res.write(Buffer.alloc(64 * 1024, 1))) return void res.once("drain", more);
        }
        res.end();
      };
      more();
    },
    "/gzip-ok": (_req, res) => {
      res.writeHead(200, { "content-encoding": "gzip" }).end(gzipSync('{"ok":true}'));
    },
    "/gzip-bomb": (_req, res) => {
      res.writeHead(200, { "content-encoding": "gzip" }).end(gzipSync(Buffer.alloc(20_000_000)));
    },
    "/gzip-broken": (_req, res) => {
      res.writeHead(200, { "content-encoding": "gzip" }).end("this is not gzip at all");
    },
    "/gzip-empty": (_req, res) => res.writeHead(202, { "content-encoding": "gzip", "content-length": "0" }).end(),
    "/gzip-204": (_req, res) => res.writeHead(204, { "content-encoding": "gzip" }).end(),
    "/brotli": (_req, res) => res.writeHead(200, { "content-encoding": "br" }).end("xx"),
    "/not-json": (_req, res) => res.writeHead(200).end("<html>nope</html>"),
    "/status-404": (_req, res) => res.writeHead(404, { "content-type": "text/plain" }).end("gone fishing"),
    "/slow-headers": () => {},
    "/slow-body": (_req, res) => {
      res.writeHead(200);
      res.write("a little");
    },
    "/truncated": (req, res) => {
      res.writeHead(200, { "content-length": "100" });
      res.write("only part");
      setTimeout(() => req.socket.destroy(), 20);
    },
  };
}

/** A request listener answering from `table`, noting each request in `hits`. */
export function handle(table: Record<string, Handler>, hits: string[]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      hits.push(`${req.headers.host} ${req.method} ${req.url}`);
      const handler = table[(req.url ?? "").split("?")[0] ?? ""];
      if (handler) handler(req, res, Buffer.concat(chunks));
      else res.writeHead(404).end();
    });
  };
}

/** Listens on an ephemeral loopback port; returns the port. */
export async function listen(server: Server | TlsServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** Closes `server` and every connection it still holds. */
export function stop(server: Server | TlsServer): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The FetchRefused `work` fails with; fails the test when it fails otherwise or not at all. */
export async function refusal(work: Promise<unknown>): Promise<FetchRefused> {
  const err = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FetchRefused);
  return err as FetchRefused;
}

/** A resolver answering from `table`, and with no address for any other name. */
export const lookupFrom =
  (table: Record<string, string[]>): GuardedFetchOptions["lookup"] =>
  async (hostname) =>
    (table[hostname] ?? []).map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
