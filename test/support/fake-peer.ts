import { generateKeyPairSync } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { signRequest } from "../../federation/http/signatures.js";

/** What the fake peer answers at one path. */
export interface Served {
  status?: number;
  /** JSON (serialized here) or raw bytes. */
  body: unknown;
  type?: string;
  /** Answer with a redirect to this URL instead. */
  location?: string;
}

/** A POST the fake peer's inboxes received. */
export interface PeerReceived {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** A remote actor the fake peer serves, with the key it signs with. */
export interface FakeActor {
  id: string;
  keyId: string;
  inbox: string;
  publicKeyPem: string;
  privateKeyPem: string;
  /** The actor document as served. */
  document: Record<string, unknown>;
}

// Key generation is the slow part of a fake actor; one pair per name is enough for a test file.
const keyPairs = new Map<string, { publicKey: string; privateKey: string }>();
function keyPair(name: string): { publicKey: string; privateKey: string } {
  let pair = keyPairs.get(name);
  if (!pair) {
    pair = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
    });
    keyPairs.set(name, pair);
  }
  return pair;
}

/**
 * A remote fediverse server on loopback for inbox tests: it serves whatever documents the test puts
 * at a path (actors with RSA keys, notes, images), records the POSTs its inboxes receive and the
 * paths fetched from it, and signs the activities its actors send.
 */
export class FakePeer {
  readonly docs = new Map<string, Served>();
  readonly received: PeerReceived[] = [];
  readonly fetched: string[] = [];
  #server: Server;
  url = "";

  private constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const path = req.url ?? "/";
        if (req.method === "POST") {
          try {
            this.received.push({
              path,
              headers: req.headers,
              body: JSON.parse(Buffer.concat(chunks).toString("utf8")),
            });
          } catch {
            // not JSON: not recorded
          }
          res.writeHead(202).end();
          return;
        }
        this.fetched.push(path);
        const doc = this.docs.get(path);
        if (!doc) {
          res.writeHead(404, { "content-type": "application/json" }).end("{}");
          return;
        }
        if (doc.location) {
          res.writeHead(doc.status ?? 302, { location: doc.location }).end();
          return;
        }
        const body = Buffer.isBuffer(doc.body) ? doc.body : Buffer.from(JSON.stringify(doc.body));
        res.writeHead(doc.status ?? 200, { "content-type": doc.type ?? "application/activity+json" }).end(body);
      });
    });
  }

  /** Listens on `address` (a loopback address: each is its own domain to the instance). */
  static async start(address = "127.0.0.1"): Promise<FakePeer> {
    const peer = new FakePeer();
    peer.#server.listen(0, address);
    await once(peer.#server, "listening");
    peer.url = `http://${address}:${(peer.#server.address() as AddressInfo).port}`;
    return peer;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Serves `body` at `path` (a path on this peer, or a full URL on it). */
  serve(path: string, body: unknown, opts: Omit<Served, "body"> = {}): void {
    this.docs.set(path.startsWith("http") ? new URL(path).pathname : path, { body, ...opts });
  }

  /** A Person (or another actor type) at `/users/{name}`, with its key at `#main-key`. */
  actor(name: string, opts: { type?: string; extra?: Record<string, unknown> } = {}): FakeActor {
    const { publicKey, privateKey } = keyPair(name);
    const id = `${this.url}/users/${name}`;
    const document: Record<string, unknown> = {
      "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
      id,
      type: opts.type ?? "Person",
      preferredUsername: name,
      name: `<b>${name}</b> the tester`,
      inbox: `${id}/inbox`,
      outbox: `${id}/outbox`,
      followers: `${id}/followers`,
      endpoints: { sharedInbox: `${this.url}/inbox` },
      publicKey: { id: `${id}#main-key`, owner: id, publicKeyPem: publicKey },
      ...opts.extra,
    };
    this.serve(`/users/${name}`, document);
    return {
      id,
      keyId: `${id}#main-key`,
      inbox: `${id}/inbox`,
      publicKeyPem: publicKey,
      privateKeyPem: privateKey,
      document,
    };
  }

  /** Waits until an inbox POST matches, or fails after `ms`. */
  async waitFor(match: (r: PeerReceived) => boolean, ms = 10_000): Promise<PeerReceived> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.received.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error("nothing matching arrived at the fake peer");
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

export interface PostOptions {
  /** Sign with this actor's key (default: the sender given). Null sends no signature. */
  signer?: FakeActor | null;
  /** Date to sign with (for skew tests). */
  now?: Date;
  /** Replaces the body after signing (so the Digest no longer matches). */
  tamperBody?: Buffer;
  contentType?: string;
  /** Extra or replaced headers after signing. */
  headers?: Record<string, string>;
}

export interface PostResult {
  status: number;
  type: string;
  body: Record<string, unknown>;
  headers: IncomingHttpHeaders;
}

/** POSTs `body` to `url`, signed by `signer`'s key as Mastodon signs, with exact control of headers. */
export async function postSigned(
  url: string,
  body: unknown,
  signer: FakeActor | null,
  opts: PostOptions = {},
): Promise<PostResult> {
  const raw = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
  const target = new URL(url);
  const headers: Record<string, string> = { "content-type": opts.contentType ?? "application/activity+json" };
  if (signer) {
    const signed = signRequest({
      method: "POST",
      url: target,
      headers: {},
      body: raw,
      keyId: signer.keyId,
      privateKeyPem: signer.privateKeyPem,
      ...(opts.now ? { now: opts.now } : {}),
    });
    for (const [k, v] of Object.entries(signed)) headers[k.toLowerCase()] = v;
  } else {
    headers["host"] = target.host;
  }
  Object.assign(headers, opts.headers ?? {});
  const sent = opts.tamperBody ?? raw;
  headers["content-length"] = String(sent.length);
  return new Promise<PostResult>((resolve, reject) => {
    const req = request(
      { method: "POST", host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: Record<string, unknown> = {};
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = { text };
          }
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers["content-type"] ?? ""),
            body: parsed,
            headers: res.headers,
          });
        });
      },
    );
    req.on("error", (err: NodeJS.ErrnoException) => {
      // The server may answer (413) and close before the whole body went out.
      reject(err);
    });
    req.end(sent);
  });
}
