/**
 * Inbox throughput for signed replies from a peer, run from the parent process against the bench
 * server. The peer (a FakePeer serving the actor document with its public key) lives in the
 * parent; the server fetches its key once and answers from its cache afterwards.
 */
import { Agent } from "node:http";
import autocannon from "autocannon";
import type { FakeActor } from "../support/fake-peer.js";
import { send } from "./bench-http.js";
import { presign, type ReplyFactory, type SignedDelivery } from "./signed-replies.js";
import { type Paired, paired } from "./stats.js";

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
