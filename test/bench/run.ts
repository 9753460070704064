/**
 * `npm run bench`: every throughput figure as a ratio to a baseline measured in the same run,
 * because the machines this runs on are shared and noisy. Reads, posting and the inbox are compared
 * with a plain Express route returning a short text; image posting with sharp alone doing the same
 * image work. Federation latencies (a remote reply becoming visible, a new thread reaching 1,000
 * followers) are reported in milliseconds. The server runs in a child process; the load generator
 * (autocannon), the remote peer and the followers' inboxes run here. Reads and the inbox run in
 * rounds, each right after a baseline measurement, and report the median of the rounds' ratios.
 *
 * BENCH_SECONDS sets the length of each measurement (default 5). BENCH_ONLY=inbox,latency,… runs
 * only the named sections (reads, posting, inbox, latency, fanout, delivery, images, domains, media,
 * filters, live, videos) and the baseline. The live section starts a second server process of its own.
 * BENCH_CPU_PROF=1 runs the server under `node --cpu-prof`, writing its profile into
 * bench-results/profiles when it exits. BENCH_RATE_LIMIT=on keeps its limits on, out of reach.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { FakePeer } from "../support/fake-peer.js";
import { deliveryBench } from "./delivery.js";
import { csvImportMs, policyBench } from "./domains.js";
import { FanoutReceivers, fanout } from "./fanout.js";
import { filterBench } from "./filters.js";
import { imageBenchmarks } from "./images.js";
import { inboxThroughput } from "./inbox-throughput.js";
import { liveStreamsBench, liveStreamsNote, liveStreamsRows } from "./live-streams.js";
import { mediaCheckBench, mediaCheckNote, mediaCheckRows } from "./media-check.js";
import { refusalBench } from "./refusal.js";
import { replyLatency } from "./reply-latency.js";
import { meets, type Row } from "./row.js";
import { ReplyFactory } from "./signed-replies.js";
import { type Paired, paired, processCpuMs, quantile } from "./stats.js";
import { videoBench } from "./videos.js";

const DURATION = Number(process.env["BENCH_SECONDS"] ?? 5);
const CONNECTIONS = 16;
/** Each read is measured in this many rounds, each after a baseline measurement; the median counts. */
const READ_ROUNDS = 5;
/** The inbox's timed run is split into this many rounds, each after a baseline measurement. */
const INBOX_ROUNDS = 3;
const here = fileURLToPath(new URL(".", import.meta.url));
const SECTIONS = [
  "reads",
  "posting",
  "inbox",
  "latency",
  "fanout",
  "delivery",
  "images",
  "videos",
  "domains",
  "media",
  "filters",
  "live",
] as const;
type Section = (typeof SECTIONS)[number];
const only = (process.env["BENCH_ONLY"] ?? "").split(",").filter(Boolean);
for (const s of only) if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`BENCH_ONLY: no section ${s}`);
const runs = (s: Section) => only.length === 0 || only.includes(s);

/** Remote replies in the timed latency measurement. */
const LATENCY_REPLIES = 50;
/** Follower instances for the fan-out, each with its own shared inbox. */
const FANOUT_INSTANCES = 50;
/** Event streams held open on one thread by the live section. */
const LIVE_STREAMS = 2000;

interface Ready {
  url: string;
  plainUrl: string;
  bigThread: number;
  postTargets: number[];
  fedThreads: number[];
  latencyThread: number;
  fanFollowers: number;
  /** A thread on /v/, a board that takes videos. */
  videoThread: number;
  /** The bench server's data directory: the delivery section queues into its store. */
  dataDir: string;
}

async function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; ready: Ready }> {
  const profile = process.env["BENCH_CPU_PROF"] ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(process.execPath, [...profile, join(here, "server.js")], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...env },
  });
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`bench server exited with ${code}`)));
    lines.on("line", (line) => {
      if (line.startsWith("{")) resolve(JSON.parse(line) as Ready);
    });
  });
  return { child, ready };
}

type Options = autocannon.Options;

/** What one autocannon run reports to the sections. */
interface LoadResult {
  rps: number;
  errors: number;
  non2xx: number;
  total: number;
  p99: number;
}

/**
 * One autocannon run. autocannon is CPU-bound (it decodes every response body into a string); in
 * this thread it would share its heap and its garbage collections with the fan-out receivers' fifty
 * servers and the peer kept here, so a load given as data alone runs on a worker thread of
 * autocannon's own (`workers: 1`), carrying nothing but the measurement, as a client elsewhere would.
 * A load that builds its requests with a function runs here (functions cannot cross threads).
 */
async function load(opts: Partial<Options> & { url: string }): Promise<LoadResult> {
  const own = opts.requests === undefined && opts.setupClient === undefined ? { workers: 1 } : {};
  const result = await autocannon({ connections: CONNECTIONS, duration: DURATION, ...own, ...opts } as Options);
  return {
    rps: result.requests.average,
    errors: result.errors,
    non2xx: result.non2xx,
    total: result.requests.total,
    p99: result.latency.p99,
  };
}

const profileDir = join(process.cwd(), "bench-results", "profiles");

async function main(): Promise<void> {
  // The followers' instances must exist before the server is seeded with their inboxes.
  const receivers = await FanoutReceivers.start(FANOUT_INSTANCES);
  const peer = await FakePeer.start();
  const { child, ready } = await startServer({ BENCH_FANOUT_INBOXES: JSON.stringify(receivers.inboxes) });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    const gzip = { "accept-encoding": "gzip" };
    // The plain route's rate, and the server's CPU time per plain request while it ran.
    const plainCpu: number[] = [];
    const baseline = async (duration = DURATION) => {
      const cpu = processCpuMs(child.pid);
      const r = await load({ url: ready.plainUrl, duration });
      const used = processCpuMs(child.pid);
      if (cpu !== null && used !== null && r.total > 0) plainCpu.push((used - cpu) / r.total);
      return r.rps;
    };
    await load({ url: ready.plainUrl, duration: 1 });
    const before = await baseline();

    const reads: Array<[string, string]> = [
      ["thread page, 300 replies", `${ready.url}/big/thread/${ready.bigThread}`],
      ["catalog, 150 threads", `${ready.url}/cat/catalog`],
      ["4chan JSON thread, 300 replies", `${ready.url}/big/thread/${ready.bigThread}.json`],
      ["board index page", `${ready.url}/cat/`],
    ];
    const readResults: Array<{ name: string } & Paired> = [];
    /** Each read's p99 latency (ms) over its measured rounds, at CONNECTIONS concurrent clients. */
    const readP99 = new Map<string, number[]>();
    if (runs("reads")) {
      // Warm up every route (JIT, render cache) before anything is measured.
      for (const [, url] of reads) await load({ url, headers: gzip, duration: 1 });
      const round = Math.max(2, Math.round(DURATION / 2));
      for (const [name, url] of reads) {
        const measured = await paired(
          async () => {
            const r = await load({ url, headers: gzip, duration: round });
            if (r.errors || r.non2xx) throw new Error(`${name}: ${r.errors} errors, ${r.non2xx} non-2xx responses`);
            readP99.set(name, [...(readP99.get(name) ?? []), r.p99]);
            return r.rps;
          },
          () => baseline(round),
          READ_ROUNDS,
        );
        readResults.push({ name, ...measured });
      }
    }

    let n = 0;
    const textPost = !runs("posting")
      ? null
      : await load({
          url: ready.url,
          method: "POST",
          headers: { "content-type": "application/json" },
          requests: [
            {
              setupRequest: (req) => {
                const target = ready.postTargets[n++ % ready.postTargets.length];
                return {
                  ...req,
                  method: "POST",
                  path: `/api/v1/boards/p/threads/${target}/replies`,
                  body: JSON.stringify({ com: `benchmark reply ${n}` }),
                };
              },
            },
          ],
        });
    if (textPost && (textPost.errors || textPost.non2xx))
      throw new Error(`text posting: ${textPost.errors} errors, ${textPost.non2xx} non-2xx`);

    // Signed Create(Note) replies from a peer to the shared inbox, spread over ten threads.
    const actor = peer.actor("bench");
    const actorPath = new URL(actor.id).pathname;
    const factory = new ReplyFactory(actor, ready.url, "fed");
    const inbox = !runs("inbox")
      ? null
      : await inboxThroughput({
          url: ready.url,
          inboxPath: "/ap/inbox",
          actor,
          factory,
          board: "fed",
          threads: ready.fedThreads,
          connections: CONNECTIONS,
          seconds: DURATION,
          keyFetches: () => peer.fetched.filter((p) => p === actorPath).length,
          serverCpuMs: () => processCpuMs(child.pid),
          // Three rounds, each right after its own baseline: the ratio is the median of the rounds',
          // so a burst of load from elsewhere on a shared machine moves one round, not the figure.
          rounds: INBOX_ROUNDS,
          baseline: () => baseline(Math.max(2, Math.round(DURATION / 2))),
        });

    const after = await baseline();
    const plain = (before + after) / 2;
    for (const r of readResults) {
      rows.push({ name: r.name, value: r.value, unit: "req/s", baseline: r.baseline, ratio: r.ratio, target: 2.0 });
      const p99 = readP99.get(r.name) ?? [];
      if (p99.length > 0)
        notes.push(`${r.name}: p99 ${Math.max(...p99)} ms at ${CONNECTIONS} connections (worst of its rounds)`);
    }
    if (textPost)
      rows.push({
        name: "posting without image",
        value: textPost.rps,
        unit: "posts/s",
        baseline: plain,
        ratio: textPost.rps / plain,
        target: 0.5,
      });
    if (inbox) {
      const p = inbox.paired;
      rows.push({
        name: "inbox: signed Create(Note) replies",
        value: p.value,
        unit: "replies/s",
        baseline: p.baseline,
        ratio: p.ratio,
        target: 0.3,
      });
      notes.push(
        `inbox: ${inbox.accepted} of ${inbox.sent} accepted in ${inbox.seconds.toFixed(1)} s; ` +
          `${inbox.stored} replies in the threads; the peer's actor document was fetched ${inbox.keyFetches}×; ` +
          `rounds (inbox/baseline): ${inbox.paired.rounds.map((r) => `${r.value.toFixed(0)}/${r.baseline.toFixed(0)}`).join(", ")}` +
          (inbox.cpuMsPerReply === null || plainCpu.length === 0
            ? ""
            : `; server CPU ${(inbox.cpuMsPerReply * 1000).toFixed(0)} µs per reply, ` +
              `${((plainCpu.reduce((a, b) => a + b, 0) / plainCpu.length) * 1000).toFixed(0)} µs per plain request`),
      );
    }

    if (runs("latency")) {
      const latency = await replyLatency({
        url: ready.url,
        inboxPath: "/ap/inbox",
        actor,
        factory,
        board: "fed",
        threadNo: ready.latencyThread,
        count: LATENCY_REPLIES,
      });
      const name = `remote reply: inbox 202 → in thread JSON (${latency.samples.length} replies)`;
      for (const [label, q] of [
        ["median", 0.5],
        ["p95", 0.95],
      ] as const) {
        rows.push({
          name: `${name}, ${label}`,
          value: quantile(latency.samples, q),
          unit: "ms",
          baseline: null,
          ratio: null,
          target: null,
        });
      }
      notes.push(`reply latency: one poll of the thread JSON takes ${latency.pollMs.toFixed(2)} ms (the resolution)`);
    }

    if (runs("fanout")) {
      if (ready.fanFollowers === 0) throw new Error("fan-out: the server has no followers seeded");
      // The first thread warms the delivery path (JIT, connections); the second is the one measured.
      const cold = await fanout({ url: ready.url, board: "fan", receivers });
      const warm = await fanout({ url: ready.url, board: "fan", receivers });
      if (warm.verified < warm.requests) {
        throw new Error(`fan-out: ${warm.requests - warm.verified} of ${warm.requests} requests did not verify`);
      }
      if (warm.mismatched > 0) {
        throw new Error(
          `fan-out: ${warm.mismatched} requests carried an activity the receiver's software does not read`,
        );
      }
      const label = `new thread to ${ready.fanFollowers} followers on ${FANOUT_INSTANCES} instances`;
      rows.push({
        name: `${label}: 201 → last signed request`,
        value: warm.ms,
        unit: "ms",
        baseline: null,
        ratio: null,
        target: 2000,
        targetKind: "max",
      });
      rows.push({
        name: `${label}: signed requests`,
        value: warm.requests,
        unit: "requests",
        baseline: null,
        ratio: null,
        // one per instance: each is sent only the activity its software reads
        target: FANOUT_INSTANCES,
        targetKind: "max",
      });
      notes.push(
        `fan-out: ${warm.requests} signed requests to ${warm.inboxes} shared inboxes in ${warm.ms.toFixed(0)} ms ` +
          `(${warm.announces} Announce(Create) to group-aware software, ${warm.boosts} boosts to microblogs); ` +
          `the first thread, on a cold path, also learnt the ${FANOUT_INSTANCES} instances' software ` +
          `(${cold.nodeInfoRequests} NodeInfo GETs): ${cold.requests} requests in ${cold.ms.toFixed(0)} ms`,
      );
    }

    if (runs("delivery")) {
      const d = await deliveryBench({
        url: ready.url,
        dataDir: ready.dataDir,
        board: "fan",
        serverCpuMs: () => processCpuMs(child.pid),
      });
      if (d.unverified > 0 || d.outOfOrder > 0) {
        throw new Error(`delivery: ${d.unverified} items did not verify, ${d.outOfOrder} arrived out of order`);
      }
      rows.push({
        name: `returning peer: backlog of ${d.backlog} items, first 2xx → last item`,
        value: d.backlogMs,
        unit: "ms",
        baseline: null,
        ratio: null,
        target: 10_000,
        targetKind: "max",
      });
      rows.push({
        name: "delivery to one peer's inbox",
        value: d.itemsPerSecond,
        unit: "items/s",
        baseline: d.baselinePerSecond,
        ratio: d.itemsPerSecond / d.baselinePerSecond,
        target: null,
      });
      notes.push(
        `delivery: ${d.refusedWhileDown} tries refused (503) while the peer was down; ${d.backlog + d.items} items ` +
          `to one inbox on ${d.connections} connections` +
          (d.cpuMsPerItem === null ? "" : `, server CPU ${(d.cpuMsPerItem * 1000).toFixed(0)} µs per item`),
      );
    }

    if (runs("filters")) {
      const f = filterBench();
      rows.push({
        name: "word filters per post, 1,000 filters (baseline: the comment's markup)",
        value: f.usPerPost,
        unit: "µs/post",
        baseline: f.markupUsPerPost,
        ratio: f.usPerPost / f.markupUsPerPost,
        target: 50,
        targetKind: "max",
      });
    }
    if (runs("domains")) {
      const policy = policyBench();
      rows.push({
        name: "domain policy check, 100 rules",
        value: policy.nsPerCheck100,
        unit: "ns/check",
        baseline: null,
        ratio: null,
        target: 2000,
        targetKind: "max",
      });
      rows.push({
        name: "domain policy check, 20,000 rules",
        value: policy.nsPerCheck20k,
        unit: "ns/check",
        baseline: policy.nsPerCheck100,
        ratio: policy.nsPerCheck20k / policy.nsPerCheck100,
        target: 2000,
        targetKind: "max",
      });
      rows.push({
        name: "Mastodon CSV import, 20,000 rows (SQLite)",
        value: await csvImportMs(),
        unit: "ms",
        baseline: null,
        ratio: null,
        target: 5000,
        targetKind: "max",
      });
      const refusal = await refusalBench({ seconds: DURATION, connections: CONNECTIONS });
      if (refusal.other > 0) throw new Error(`refusal: ${refusal.other} answers were not 403`);
      rows.push({
        name: "inbox POST from a suspended domain, refused",
        value: refusal.refusalRps,
        unit: "req/s",
        baseline: refusal.plainRps,
        ratio: refusal.ratio,
        target: 0.8,
      });
      notes.push(
        `domains: parsing the 20,000-row CSV alone takes ${policy.csvImportParseMs.toFixed(0)} ms; ` +
          "the 20,000-rule check's ratio is to the 100-rule check (it should stay near 1)",
      );
    }

    if (runs("media")) {
      const media = await mediaCheckBench(DURATION);
      rows.push(...mediaCheckRows(media));
      notes.push(mediaCheckNote(media));
    }

    if (runs("live")) {
      // A server of its own, so the memory and CPU measured are the streams' alone.
      const live = await startServer({});
      const liveExited = new Promise((resolve) => live.child.once("exit", resolve));
      try {
        const r = await liveStreamsBench({
          url: live.ready.url,
          child: live.child,
          board: "p",
          thread: live.ready.postTargets[0]!,
          streams: LIVE_STREAMS,
          replies: 10,
          idleSeconds: Math.max(2, DURATION),
        });
        rows.push(...liveStreamsRows(r));
        notes.push(liveStreamsNote(r));
      } finally {
        live.child.kill("SIGTERM");
        await liveExited;
      }
    }

    if (runs("images")) {
      await imageBenchmarks(ready, rows, DURATION, load);
      // Uploads the load generator abandoned when it stopped are still in the server's image
      // queue; let them finish before the server closes its store.
      await new Promise((r) => setTimeout(r, 2500));
    }
    if (runs("videos")) await videoBench(rows, notes, { url: ready.url, thread: ready.videoThread });
    for (const note of notes) process.stdout.write(`note: ${note}\n`);
  } finally {
    child.kill("SIGTERM");
    await exited;
    await receivers.close();
    await peer.close();
  }

  const table = rows.map((r) => ({
    benchmark: r.name,
    value: `${r.value.toFixed(1)} ${r.unit}`,
    baseline: r.baseline === null ? "" : r.baseline.toFixed(1),
    ratio: r.ratio === null ? "" : `${r.ratio.toFixed(2)}×`,
    target: r.target === null ? "" : r.targetKind === "max" ? `≤ ${r.target} ${r.unit}` : `≥ ${r.target}×`,
    ok: r.target === null ? "" : meets(r) ? "yes" : "NO",
  }));
  console.table(table);
  const outDir = join(process.cwd(), "bench-results");
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, "bench.json");
  await writeFile(file, JSON.stringify({ date: new Date().toISOString(), durationSeconds: DURATION, rows }, null, 2));
  process.stdout.write(`written ${file}\n`);
  if (process.env["BENCH_CPU_PROF"]) process.stdout.write(`server CPU profile in ${profileDir}\n`);
}

await main();
