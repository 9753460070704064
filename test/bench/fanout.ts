/**
 * The fan-out of a new thread on the bench server to its followers' shared inboxes on many
 * instances, each a receiver in the parent process that verifies every signature.
 */
import { once } from "node:events";
import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { verifyRequest } from "../../federation/http/signatures.js";
import { send } from "./bench-http.js";
import { ACTIVITY_JSON } from "./signed-replies.js";

/** One delivery as a fan-out receiver saw it. */
interface Delivered {
  at: number;
  inbox: string;
  verified: boolean;
  /** `announce`: Announce(Create), `boost`: Announce(<note id>). */
  kind: "announce" | "boost" | "other";
}

/** What the receivers run, as their NodeInfo says: every other one group-aware, the rest microblogs. */
const GROUP_AWARE = ["lemmy", "mbin", "piefed", "kbin", "lotide"];

const MICROBLOGS = ["mastodon", "misskey", "gotosocial", "pleroma", "akkoma"];

const NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1";

/**
 * Fifty remote instances' shared inboxes: one HTTP server per loopback address (so each is its own
 * domain to the delivery worker, with its own per-domain limit), each verifying the signature of
 * every POST against the keys it was given and recording when it arrived. Each also serves NodeInfo
 * naming its software, half of them group-aware (Lemmy, Mbin, …) and half microblogs (Mastodon,
 * Misskey, …), as real followers would, so the server learns what each one reads.
 */
export class FanoutReceivers {
  readonly inboxes: string[] = [];
  /** keyId → PEM of the keys whose signatures count as verified. */
  readonly keys = new Map<string, string>();
  readonly received: Delivered[] = [];
  /** The software each receiver reports, by inbox. */
  readonly software = new Map<string, string>();
  /** GETs of NodeInfo documents answered. */
  nodeInfoRequests = 0;
  readonly #servers: Server[] = [];

  static async start(count: number): Promise<FanoutReceivers> {
    const r = new FanoutReceivers();
    for (let i = 0; i < count; i++) {
      const address = `127.0.1.${i + 1}`;
      const names = i % 2 === 0 ? GROUP_AWARE : MICROBLOGS;
      const software = names[Math.floor(i / 2) % names.length]!;
      const server = createServer((req, res) => {
        if (req.method === "GET") {
          r.#nodeInfo(req, res, software);
          return;
        }
        r.#take(address, req).then(
          () => res.writeHead(202).end(),
          () => res.writeHead(400).end(),
        );
      });
      server.listen(0, address);
      await once(server, "listening");
      r.#servers.push(server);
      const inbox = `http://${address}:${(server.address() as AddressInfo).port}/inbox`;
      r.inboxes.push(inbox);
      r.software.set(inbox, software);
    }
    return r;
  }

  #nodeInfo(req: IncomingMessage, res: ServerResponse, software: string): void {
    req.resume();
    const json = (body: unknown) =>
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (req.url === "/.well-known/nodeinfo") {
      this.nodeInfoRequests++;
      json({ links: [{ rel: NODEINFO_SCHEMA, href: `http://${req.headers.host}/nodeinfo/2.1` }] });
    } else if (req.url === "/nodeinfo/2.1") {
      this.nodeInfoRequests++;
      json({ version: "2.1", software: { name: software, version: "1.0.0" }, protocols: ["activitypub"] });
    } else {
      res.writeHead(404).end();
    }
  }

  async #take(address: string, req: IncomingMessage): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const at = performance.now();
    const rawBody = Buffer.concat(chunks);
    const keyId = /keyId="([^"]*)"/.exec(String(req.headers["signature"] ?? ""))?.[1];
    const pem = keyId === undefined ? undefined : this.keys.get(keyId);
    let verified = false;
    if (pem !== undefined) {
      try {
        verifyRequest(
          { method: req.method ?? "POST", path: req.url ?? "/", headers: req.headers, rawBody },
          {
            publicKeyPem: pem,
          },
        );
        verified = true;
      } catch {
        verified = false;
      }
    }
    const port = (req.socket.localPort ?? 0).toString();
    let kind: Delivered["kind"] = "other";
    try {
      const object = (JSON.parse(rawBody.toString("utf8")) as { object?: unknown }).object;
      kind = typeof object === "string" ? "boost" : object && typeof object === "object" ? "announce" : "other";
    } catch {
      kind = "other";
    }
    this.received.push({ at, inbox: `http://${address}:${port}${req.url ?? "/"}`, verified, kind });
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#servers.map((s) => {
        const closed = new Promise<void>((resolve) => s.close(() => resolve()));
        s.closeAllConnections();
        return closed;
      }),
    );
  }
}

export interface Fanout {
  /** From the posting API's 201 to the last signed request received. */
  ms: number;
  requests: number;
  verified: number;
  inboxes: number;
  /** Announce(Create) requests, all to group-aware receivers when their software is known. */
  announces: number;
  /** Boosts, all to microblog receivers when their software is known. */
  boosts: number;
  /** Requests whose kind does not match the software of the receiver (should be 0). */
  mismatched: number;
  /** NodeInfo GETs the receivers answered during this fan-out. */
  nodeInfoRequests: number;
}

/**
 * Posts a new thread on `board` through the API and waits until the receivers have been quiet for
 * a second; the time runs from the 201 to the last request that arrived.
 */
export async function fanout(o: { url: string; board: string; receivers: FanoutReceivers }): Promise<Fanout> {
  const agent = new Agent({ keepAlive: true });
  try {
    const actor = await send(`${o.url}/ap/boards/${o.board}`, agent, { headers: { accept: ACTIVITY_JSON } });
    if (actor.status !== 200) throw new Error(`fan-out: the board actor answered ${actor.status}`);
    const key = (JSON.parse(actor.body.toString("utf8")) as { publicKey: { id: string; publicKeyPem: string } })
      .publicKey;
    o.receivers.keys.set(key.id, key.publicKeyPem);

    const seen = o.receivers.received.length;
    const lookupsBefore = o.receivers.nodeInfoRequests;
    const body = Buffer.from(JSON.stringify({ sub: "Fan-out", com: "A new thread for every follower" }));
    const res = await send(`${o.url}/api/v1/boards/${o.board}/threads`, agent, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    if (res.status !== 201) throw new Error(`fan-out: posting answered ${res.status}: ${res.body.toString()}`);
    const created = res.headersAt;
    const deadline = created + 30_000;
    for (;;) {
      await new Promise((r) => setTimeout(r, 20));
      const got = o.receivers.received.slice(seen);
      const last = got.at(-1)?.at ?? created;
      const now = performance.now();
      if ((got.length > 0 && now - last > 1000) || now > deadline) {
        if (got.length === 0) throw new Error("fan-out: no follower inbox received anything in 30 s");
        const groupAware = (g: Delivered) => GROUP_AWARE.includes(o.receivers.software.get(g.inbox) ?? "");
        return {
          ms: last - created,
          requests: got.length,
          verified: got.filter((g) => g.verified).length,
          inboxes: new Set(got.map((g) => g.inbox)).size,
          announces: got.filter((g) => g.kind === "announce").length,
          boosts: got.filter((g) => g.kind === "boost").length,
          mismatched: got.filter((g) => (g.kind === "announce") !== groupAware(g)).length,
          nodeInfoRequests: o.receivers.nodeInfoRequests - lookupsBefore,
        };
      }
    }
  } finally {
    agent.destroy();
  }
}
