/**
 * The federation part of `npm run bench`, run from the parent process against the bench server:
 * inbox throughput for signed replies from a peer, the time from a reply's 202 to its appearance
 * in the thread JSON, and the fan-out of a new thread to 1,000 followers on 50 instances.
 *
 * The peer (a FakePeer serving the actor document with its public key) lives here, in the parent;
 * the server fetches its key once and answers from its cache afterwards. Every activity is signed
 * before the timed run, on worker threads, since signing is the client's cost.
 */
import { once } from "node:events";
import { Agent, createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import autocannon from "autocannon";
import { verifyRequest } from "../../federation/http/signatures.js";
import type { FakeActor } from "../support/fake-peer.js";
import type { SignJob } from "./sign-worker.js";
import { type Paired, paired, quantile } from "./stats.js";

const AS = "https://www.w3.org/ns/activitystreams";
const PUBLIC = `${AS}#Public`;
const ACTIVITY_JSON = "application/activity+json";

/** One inbox POST ready to send: the exact bytes that were signed and the headers that sign them. */
export interface SignedDelivery {
  headers: Record<string, string>;
  body: Buffer;
  /** The id of the Note it creates, to find it in the thread afterwards. */
  noteId: string;
}

/** Builds Mastodon-shaped `Create(Note)` replies from one remote actor, each with fresh ids. */
export class ReplyFactory {
  #seq = 0;

  constructor(
    private readonly actor: FakeActor,
    /** The bench server's PUBLIC_URL. */
    private readonly publicUrl: string,
    private readonly board: string,
  ) {}

  next(threadNo: number): { body: string; noteId: string } {
    const n = ++this.#seq;
    const statusId = `${this.actor.id}/statuses/${n}`;
    const boardActor = `${this.publicUrl}/ap/boards/${this.board}`;
    const followers = `${this.actor.id}/followers`;
    const published = new Date().toISOString();
    const host = new URL(this.publicUrl).host;
    const note = {
      id: statusId,
      type: "Note",
      summary: null,
      inReplyTo: `${this.publicUrl}/${this.board}/thread/${threadNo}`,
      published,
      url: `${new URL(this.actor.id).origin}/@bench/${n}`,
      attributedTo: this.actor.id,
      to: [PUBLIC],
      cc: [followers, boardActor],
      sensitive: false,
      content:
        `<p><span class="h-card"><a href="${boardActor}" class="u-url mention">@<span>${this.board}</span></a></span> ` +
        `Benchmark reply ${n}: a few words from the fediverse, with <a href="https://example.org/page" rel="nofollow">a link</a>.</p>`,
      attachment: [],
      tag: [{ type: "Mention", href: boardActor, name: `@${this.board}@${host}` }],
    };
    const activity = {
      "@context": [AS, "https://w3id.org/security/v1"],
      id: `${statusId}/activity`,
      type: "Create",
      actor: this.actor.id,
      published,
      to: note.to,
      cc: note.cc,
      object: note,
    };
    return { body: JSON.stringify(activity), noteId: statusId };
  }
}

/** Signs the bodies for `inboxUrl` with the actor's key, split over worker threads. */
export async function presign(
  inboxUrl: string,
  actor: FakeActor,
  items: Array<{ body: string; noteId: string }>,
): Promise<SignedDelivery[]> {
  if (items.length === 0) return [];
  const threads = Math.max(1, Math.min(availableParallelism(), Math.ceil(items.length / 200)));
  const per = Math.ceil(items.length / threads);
  const chunks = Array.from({ length: threads }, (_, k) => items.slice(k * per, (k + 1) * per));
  const signed = await Promise.all(
    chunks.map(async (chunk) => {
      const job: SignJob = {
        url: inboxUrl,
        keyId: actor.keyId,
        privateKeyPem: actor.privateKeyPem,
        bodies: chunk.map((c) => c.body),
      };
      const worker = new Worker(new URL("./sign-worker.js", import.meta.url), { workerData: job });
      const [headers] = (await once(worker, "message")) as [Array<Record<string, string>>];
      await worker.terminate();
      return headers;
    }),
  );
  return signed.flat().map((h, i) => {
    const headers: Record<string, string> = { "content-type": ACTIVITY_JSON };
    for (const [name, value] of Object.entries(h)) headers[name.toLowerCase()] = value;
    const item = items[i]!;
    return { headers, body: Buffer.from(item.body), noteId: item.noteId };
  });
}

interface Answer {
  status: number;
  body: Buffer;
  /** performance.now() when the status line arrived. */
  headersAt: number;
  /** performance.now() when the body was complete. */
  endAt: number;
}

/** One HTTP request on a keep-alive agent. */
function send(
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

export interface InboxThroughput {
  /** Accepted (2xx) activities per second in the timed run. */
  rps: number;
  sent: number;
  accepted: number;
  seconds: number;
  /** Replies found in the threads afterwards, from the warm-up and the timed run together. */
  stored: number;
  /** How often the peer served its actor document to the server (1: fetched once, then cached). */
  keyFetches: number;
  /** The server's CPU time (all its threads) per accepted activity in the timed run, in ms; null if unknown. */
  cpuMsPerReply: number | null;
  /** The timed run's rounds against the baseline measured just before each (medians and rounds). */
  paired: Paired;
}

export interface InboxBenchOptions {
  /** The bench server's base URL (its PUBLIC_URL). */
  url: string;
  /** The path of the inbox posted to. */
  inboxPath: string;
  actor: FakeActor;
  factory: ReplyFactory;
  board: string;
  threads: number[];
  connections: number;
  seconds: number;
  /** GETs of the actor document the peer has answered so far. */
  keyFetches: () => number;
  /** The server process's CPU time so far in ms, or null where it cannot be read. */
  serverCpuMs?: () => number | null;
  /** The timed run in this many rounds, each right after a measurement of the baseline (its rate). */
  rounds: number;
  baseline: () => Promise<number>;
}

/**
 * Drives the inbox with pre-signed `Create(Note)` replies. One activity goes alone first (the
 * server fetches and caches the peer's key), then a warm-up at full concurrency gives the rate;
 * enough activities for about `seconds` at that rate are then signed and sent with autocannon as
 * an exact number of requests, so none is ever sent twice, in `rounds` rounds each after a
 * baseline measurement. A round's rate is its 2xx answers over the time to the last of them. Throws when most are refused or when the 2xx answers did not become
 * posts in the threads.
 */
export async function inboxThroughput(o: InboxBenchOptions): Promise<InboxThroughput> {
  const inboxUrl = `${o.url}${o.inboxPath}`;
  let t = 0;
  const build = (n: number) => Array.from({ length: n }, () => o.factory.next(o.threads[t++ % o.threads.length]!));

  // First contact, alone: the server fetches the peer's key now and serves it from its cache after.
  const [first] = await presign(inboxUrl, o.actor, build(1));
  const agent = new Agent({ keepAlive: false });
  const contact = await send(inboxUrl, agent, { method: "POST", headers: first!.headers, body: first!.body });
  agent.destroy();
  if (contact.status !== 202) {
    throw new Error(
      `inbox: the first activity was answered ${contact.status}: ${contact.body.toString().slice(0, 300)}`,
    );
  }

  const warm = await presign(inboxUrl, o.actor, build(Math.max(2000, o.connections * 100)));
  const warmRun = await fire(inboxUrl, warm, o.connections);
  assertMostlyAccepted("inbox warm-up", warmRun);
  // Long enough for the server to reach its steady state (JIT, caches, background threads
  // started); the second half of the warm-up runs on warm code, and its rate sizes the timed run.
  const half = warmRun.acceptedAt.slice(Math.floor(warmRun.acceptedAt.length / 2));
  const span = (half.at(-1)! - half[0]!) / 1000;
  const warmRate = span > 0 ? (half.length - 1) / span : warmRun.accepted / warmRun.seconds;

  const rounds = Math.max(1, o.rounds);
  const perRound = Math.min(20_000, Math.max(o.connections * 20, Math.ceil((warmRate * o.seconds * 1.2) / rounds)));
  const pool = await presign(inboxUrl, o.actor, build(perRound * rounds));
  let sent = 0;
  let accepted = 0;
  let seconds = 0;
  let cpuMs: number | null = 0;
  const measured = await paired(
    async (r) => {
      const cpuBefore = o.serverCpuMs?.() ?? null;
      const run = await fire(inboxUrl, pool.slice(r * perRound, (r + 1) * perRound), o.connections);
      const cpuAfter = o.serverCpuMs?.() ?? null;
      assertMostlyAccepted("inbox", run);
      sent += run.sent;
      accepted += run.accepted;
      seconds += run.seconds;
      cpuMs = cpuMs === null || cpuBefore === null || cpuAfter === null ? null : cpuMs + (cpuAfter - cpuBefore);
      return run.accepted / run.seconds;
    },
    o.baseline,
    rounds,
  );

  const expected = 1 + warmRun.accepted + accepted;
  const stored = await settledCount(() => storedReplies(o.url, o.board, o.threads, o.actor.id), expected);
  if (stored < expected * 0.95) {
    throw new Error(
      `inbox: ${expected} activities were answered 2xx but only ${stored} replies are in the threads; ` +
        "the answers were not acceptances (ignored as duplicates or unplaceable?), so the measurement is wrong",
    );
  }
  return {
    rps: accepted / seconds,
    sent,
    accepted,
    seconds,
    stored,
    keyFetches: o.keyFetches(),
    cpuMsPerReply: cpuMs === null || accepted === 0 ? null : cpuMs / accepted,
    paired: measured,
  };
}

interface Fired {
  sent: number;
  accepted: number;
  refused: number;
  errors: number;
  seconds: number;
  samples: string[];
  /** performance.now() of each 2xx answer. */
  acceptedAt: number[];
}

/** Sends every delivery of the pool exactly once over `connections` keep-alive connections. */
async function fire(inboxUrl: string, pool: SignedDelivery[], connections: number): Promise<Fired> {
  const url = new URL(inboxUrl);
  let next = 0;
  const samples: string[] = [];
  const acceptedAt: number[] = [];
  const started = performance.now();
  const result = await autocannon({
    url: url.origin,
    connections,
    amount: pool.length,
    requests: [
      {
        setupRequest: (req) => {
          // autocannon asks for exactly `amount` requests; the modulo only guards the bookkeeping.
          const d = pool[next++ % pool.length]!;
          return { ...req, method: "POST", path: url.pathname, headers: d.headers, body: d.body };
        },
        onResponse: (status, body) => {
          if (status >= 200 && status < 300) acceptedAt.push(performance.now());
          else if (samples.length < 3) samples.push(`${status} ${body.slice(0, 300)}`);
        },
      },
    ],
  } as autocannon.Options);
  // autocannon notices that it has sent `amount` requests only on its next one-second tick, so
  // the run ends at the last answer, not when autocannon returns.
  const seconds = ((acceptedAt.at(-1) ?? performance.now()) - started) / 1000;
  return {
    sent: next,
    accepted: result["2xx"],
    refused: result.non2xx,
    errors: result.errors + result.timeouts,
    seconds,
    samples,
    acceptedAt,
  };
}

function assertMostlyAccepted(what: string, r: Fired): void {
  const answered = r.accepted + r.refused + r.errors;
  if (answered === 0 || r.accepted < answered * 0.5) {
    throw new Error(
      `${what}: only ${r.accepted} of ${answered} activities were accepted (${r.refused} refused, ${r.errors} errors); ` +
        `the measurement would be of refusals. First refusals: ${r.samples.join(" | ") || "none"}`,
    );
  }
  if (r.accepted < answered)
    process.stdout.write(`note: ${what}: ${answered - r.accepted} of ${answered} activities not accepted\n`);
}

/** Replies by `actorId` in the threads, read from the 4chan-style thread JSON as a reader sees it. */
async function storedReplies(url: string, board: string, threads: number[], actorId: string): Promise<number> {
  const agent = new Agent({ keepAlive: true });
  try {
    let n = 0;
    for (const no of threads) {
      const res = await send(`${url}/${board}/thread/${no}.json`, agent);
      if (res.status !== 200) throw new Error(`/${board}/thread/${no}.json answered ${res.status}`);
      const posts = (JSON.parse(res.body.toString("utf8")) as { posts: Array<Record<string, unknown>> }).posts;
      n += posts.filter((p) => p["fedi_actor"] === actorId).length;
    }
    return n;
  } finally {
    agent.destroy();
  }
}

/** Reads a count until it reaches `expected` or stops moving (work finishing after the answers). */
async function settledCount(read: () => Promise<number>, expected: number, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  for (;;) {
    const n = await read();
    if (n >= expected || n === last || Date.now() > deadline) return n;
    last = n;
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface ReplyLatency {
  /** Milliseconds from each reply's 202 to the first thread JSON that shows it. */
  samples: number[];
  /** The median time of one poll of the thread JSON: the resolution of the measurement. */
  pollMs: number;
}

/**
 * Sends `count` replies one at a time to a quiet thread; after each 202, polls the thread JSON
 * back to back until the reply is in it.
 */
export async function replyLatency(o: {
  url: string;
  inboxPath: string;
  actor: FakeActor;
  factory: ReplyFactory;
  board: string;
  threadNo: number;
  count: number;
}): Promise<ReplyLatency> {
  const inboxUrl = `${o.url}${o.inboxPath}`;
  const pool = await presign(
    inboxUrl,
    o.actor,
    Array.from({ length: o.count }, () => o.factory.next(o.threadNo)),
  );
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  const threadUrl = `${o.url}/${o.board}/thread/${o.threadNo}.json`;
  const samples: number[] = [];
  const polls: number[] = [];
  try {
    for (const d of pool) {
      const answer = await send(inboxUrl, agent, { method: "POST", headers: d.headers, body: d.body });
      if (answer.status !== 202) {
        throw new Error(`reply latency: the inbox answered ${answer.status}: ${answer.body.toString().slice(0, 300)}`);
      }
      const arrived = answer.headersAt;
      const needle = JSON.stringify(d.noteId);
      const deadline = arrived + 10_000;
      for (;;) {
        const started = performance.now();
        const res = await send(threadUrl, agent);
        polls.push(res.endAt - started);
        if (res.status === 200 && res.body.includes(needle)) {
          samples.push(res.endAt - arrived);
          break;
        }
        if (performance.now() > deadline) throw new Error(`reply latency: ${d.noteId} did not appear within 10 s`);
        await new Promise((r) => setImmediate(r));
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    agent.destroy();
  }
  return { samples, pollMs: quantile(polls, 0.5) };
}

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
