import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { keyOwnerOf, verifyRequest } from "../../federation/http/signatures.js";

/** One POST as the fake inbox saw it. */
export interface Received {
  /** `http://address:port/path` as the sender addressed it. */
  inbox: string;
  address: string;
  path: string;
  keyId: string | null;
  /** Whether the signature verified against the public key of the actor named by keyId. */
  verified: boolean;
  verifyError: string | null;
  body: Record<string, unknown>;
}

export interface Reply {
  status: number;
  delayMs?: number;
  /** The answer waits for this as well (a peer that answers only when the test lets it). */
  hold?: Promise<void>;
  headers?: Record<string, string>;
}

export interface FakeInboxOptions {
  /** Loopback addresses to listen on, one server (and port) each. Default ["127.0.0.1"]. */
  addresses?: string[];
  /** The PEM public key of the actor that owns a keyId (the test fetches it from the instance). */
  publicKeyOf: (actorId: string) => Promise<string>;
}

/**
 * A remote server's inbox on loopback for delivery tests: verifies the HTTP signature of every
 * POST with the sender's published key, records what arrived, answers as the test says, and counts
 * how many requests were in flight at once, per address and overall.
 */
export class FakeInbox {
  readonly received: Received[] = [];
  /** The most requests in flight at once, per address. */
  readonly maxConcurrent = new Map<string, number>();
  maxConcurrentTotal = 0;
  /** Decides the answer to each request; default 202 at once. */
  respond: (r: Received) => Reply = () => ({ status: 202 });
  /** The GETs answered (NodeInfo lookups, …), as `address path`; they are not in `received`. */
  readonly fetched: string[] = [];
  readonly #docs = new Map<string, unknown>();

  readonly #servers: Server[] = [];
  readonly #byAddress = new Map<string, Server>();
  readonly #bases = new Map<string, string>();
  readonly #current = new Map<string, number>();
  #currentTotal = 0;
  readonly #keys = new Map<string, Promise<string>>();
  readonly #publicKeyOf: (actorId: string) => Promise<string>;
  readonly #waiters = new Set<() => void>();

  private constructor(publicKeyOf: (actorId: string) => Promise<string>) {
    this.#publicKeyOf = publicKeyOf;
  }

  static async start(opts: FakeInboxOptions): Promise<FakeInbox> {
    const inbox = new FakeInbox(opts.publicKeyOf);
    for (const address of opts.addresses ?? ["127.0.0.1"]) {
      const server = createServer((req, res) => {
        if (req.method === "GET") {
          inbox.#get(address, req.url ?? "/", res);
          return;
        }
        inbox.#handle(address, req).then(
          (reply) => {
            res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
            res.end(reply.status >= 400 ? '{"error":"no"}' : "");
          },
          () => {
            res.writeHead(500);
            res.end();
          },
        );
      });
      server.listen(0, address);
      await once(server, "listening");
      inbox.#servers.push(server);
      inbox.#byAddress.set(address, server);
      inbox.#bases.set(address, `http://${address}:${(server.address() as AddressInfo).port}`);
    }
    return inbox;
  }

  /** The base URL of the server on `address` (default: the first one). */
  base(address?: string): string {
    const key = address ?? [...this.#bases.keys()][0]!;
    const base = this.#bases.get(key);
    if (!base) throw new Error(`not listening on ${key}`);
    return base;
  }

  /** Serves `body` as JSON to GETs of `path` on `address`; other GETs answer 404. */
  serve(address: string, path: string, body: unknown): void {
    this.#docs.set(`${address} ${path}`, body);
  }

  /** Makes the server on `address` report `software` in its NodeInfo (2.1, linked from the well-known document). */
  serveNodeInfo(address: string, software: string, version = "1.0.0"): void {
    const schema = "http://nodeinfo.diaspora.software/ns/schema/2.1";
    this.serve(address, "/.well-known/nodeinfo", {
      links: [{ rel: schema, href: `${this.base(address)}/nodeinfo/2.1` }],
    });
    this.serve(address, "/nodeinfo/2.1", {
      version: "2.1",
      software: { name: software, version },
      protocols: ["activitypub"],
      usage: { users: {} },
      openRegistrations: false,
    });
  }

  /** Resolves once `check` holds for what was received, or rejects after `timeoutMs`. */
  async waitFor(check: (received: Received[]) => boolean, timeoutMs = 5000): Promise<void> {
    if (check(this.received)) return;
    await new Promise<void>((resolve, reject) => {
      const waiter = () => {
        if (!check(this.received)) return;
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`timed out; received ${this.received.length} requests`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** Stops listening on `address` (default: the first): connections are refused until `listen`. */
  async refuse(address?: string): Promise<void> {
    const server = this.#server(address);
    if (!server.listening) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  /** Listens again on the same address and port after `refuse`. */
  async listen(address?: string): Promise<void> {
    const server = this.#server(address);
    if (server.listening) return;
    const url = new URL(this.base(address));
    server.listen(Number(url.port), url.hostname);
    await once(server, "listening");
  }

  #server(address?: string): Server {
    const key = address ?? [...this.#bases.keys()][0]!;
    const server = this.#byAddress.get(key);
    if (!server) throw new Error(`not listening on ${key}`);
    return server;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#servers.map((s) => {
        if (!s.listening) return Promise.resolve();
        const closed = new Promise<void>((resolve) => s.close(() => resolve()));
        s.closeAllConnections();
        return closed;
      }),
    );
  }

  async #handle(address: string, req: IncomingMessage): Promise<Reply> {
    this.#enter(address);
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks);
      const path = req.url ?? "/";
      const sig = /keyId="([^"]*)"/.exec(String(req.headers["signature"] ?? ""));
      const keyId = sig?.[1] ?? null;
      let verified = false;
      let verifyError: string | null = null;
      try {
        if (keyId === null) throw new Error("unsigned");
        const pem = await this.#key(keyOwnerOf(keyId));
        verifyRequest(
          { method: req.method ?? "POST", path, headers: req.headers, rawBody: raw },
          { publicKeyPem: pem },
        );
        verified = true;
      } catch (err) {
        verifyError = err instanceof Error ? err.message : String(err);
      }
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
      } catch {
        verifyError ??= "body is not JSON";
      }
      const received: Received = {
        inbox: `${this.base(address)}${path}`,
        address,
        path,
        keyId,
        verified,
        verifyError,
        body,
      };
      this.received.push(received);
      for (const w of [...this.#waiters]) w();
      const reply = verified ? this.respond(received) : { status: 401 };
      if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
      if (reply.hold) await reply.hold;
      return reply;
    } finally {
      this.#leave(address);
    }
  }

  #get(address: string, path: string, res: ServerResponse): void {
    this.fetched.push(`${address} ${path}`);
    const doc = this.#docs.get(`${address} ${path}`);
    if (doc === undefined) {
      res.writeHead(404, { "content-type": "application/json" }).end("{}");
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(doc));
  }

  #key(actorId: string): Promise<string> {
    let key = this.#keys.get(actorId);
    if (!key) {
      key = this.#publicKeyOf(actorId);
      key.catch(() => this.#keys.delete(actorId));
      this.#keys.set(actorId, key);
    }
    return key;
  }

  #enter(address: string): void {
    const n = (this.#current.get(address) ?? 0) + 1;
    this.#current.set(address, n);
    this.maxConcurrent.set(address, Math.max(this.maxConcurrent.get(address) ?? 0, n));
    this.#currentTotal++;
    this.maxConcurrentTotal = Math.max(this.maxConcurrentTotal, this.#currentTotal);
  }

  #leave(address: string): void {
    this.#current.set(address, (this.#current.get(address) ?? 1) - 1);
    this.#currentTotal--;
  }
}

/** Polls `check` until it holds (or throws after `timeoutMs`). */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 5000, stepMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}
