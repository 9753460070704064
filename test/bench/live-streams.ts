/**
 * Live threads at scale: many open event streams on one server process, real HTTP connections from
 * this process, then one reply a second through the posting API. Measures the server's resident
 * memory per open stream (against the same process idle), its CPU share while it fans the replies
 * out (against the same process idle, and with the streams open but quiet), and how long one event
 * takes to reach every stream, from the POST's 201 to each client reading the event.
 */
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent, type ClientRequest, request } from "node:http";
import { loadavg } from "node:os";
import { send } from "./bench-http.js";
import type { Row } from "./row.js";
import { quantile } from "./stats.js";

export interface LiveBenchOptions {
  /** The server's base URL. */
  url: string;
  /** Its process, whose memory and CPU are measured. */
  child: ChildProcess;
  /** A thread on a board that takes replies through the API without a captcha or cooldown. */
  board: string;
  thread: number;
  streams: number;
  /** Replies, one a second. */
  replies: number;
  /** The length of each idle measurement. */
  idleSeconds: number;
}

export interface LiveBenchResult {
  streams: number;
  replies: number;
  idleRssKb: number;
  openRssKb: number;
  /** Server CPU time ÷ wall time, in percent of one core. */
  idleCpu: number;
  quietCpu: number;
  fanoutCpu: number;
  /** ms from each POST's 201 to each stream's receipt of the reply, every (reply, stream) pair. */
  latencies: number[];
  /** ms from each POST's 201 to the first and the last stream's receipt, one per reply. */
  firstMs: number[];
  lastMs: number[];
  /** The machine's 1-minute load average at the end: the latencies are only as good as the machine is quiet. */
  load: number;
  /** Streams that missed a reply (never read its event). */
  missed: number;
  /** Streams the server refused or ended early. */
  failed: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The resident set of a process in KB, from /proc; NaN where there is no /proc. */
function rssKb(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

/** A process's CPU time so far (user and system, all threads) in ms, from /proc/<pid>/stat. */
function cpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** The process's CPU share (percent of one core) over `ms` of wall time while `during` runs. */
async function cpuShare(pid: number | undefined, during: () => Promise<void>): Promise<number> {
  const cpu = cpuMs(pid);
  const start = performance.now();
  await during();
  return ((cpuMs(pid) - cpu) / (performance.now() - start)) * 100;
}

/** RSS sampled a few times after the process settles; the median, since a GC may run between samples. */
async function settledRss(pid: number | undefined): Promise<number> {
  await sleep(1500);
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(rssKb(pid));
    await sleep(200);
  }
  return quantile(samples, 0.5);
}

/**
 * One client of the stream: records when each post id is first read. Only `id:` lines matter here,
 * so the parse keeps no more than the unfinished last line of what arrived.
 */
class Client {
  readonly seen = new Map<number, number>();
  ended = false;
  #tail = "";
  constructor(readonly req: ClientRequest) {}

  read(chunk: string): void {
    const at = performance.now();
    const text = this.#tail + chunk;
    const lines = text.split("\n");
    this.#tail = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.startsWith("id:")) continue;
      const no = Number(line.slice(3).trim());
      if (!this.seen.has(no)) this.seen.set(no, at);
    }
  }
}

function open(url: string, agent: Agent): Promise<Client> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { Accept: "text/event-stream" } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`event stream answered ${res.statusCode}`));
        return;
      }
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => client.read(chunk));
      res.on("close", () => (client.ended = true));
      resolve(client);
    });
    const client = new Client(req);
    req.on("error", reject);
    req.end();
  });
}

export async function liveStreamsBench(o: LiveBenchOptions): Promise<LiveBenchResult> {
  const pid = o.child.pid;
  const streamUrl = `${o.url}/${o.board}/thread/${o.thread}/events`;
  const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const postAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const replyUrl = `${o.url}/api/v1/boards/${o.board}/threads/${o.thread}/replies`;
  const post = async (com: string) => {
    const answer = await send(replyUrl, postAgent, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: Buffer.from(JSON.stringify({ com })),
    });
    if (answer.status !== 201) throw new Error(`live: reply answered ${answer.status} ${answer.body.toString()}`);
    return { no: (JSON.parse(answer.body.toString()) as { no: number }).no, at: answer.headersAt };
  };

  // Warm the paths measured (the stream route, the posting API, the thread's rebuild), then let go.
  const warm = await open(streamUrl, agent);
  await post("warming the live thread up");
  await sleep(500);
  warm.req.destroy();

  const idleRssKb = await settledRss(pid);
  const idleCpu = await cpuShare(pid, () => sleep(o.idleSeconds * 1000));

  const clients: Client[] = [];
  let failed = 0;
  const BATCH = 100;
  for (let i = 0; i < o.streams; i += BATCH) {
    const batch = await Promise.allSettled(
      Array.from({ length: Math.min(BATCH, o.streams - i) }, () => open(streamUrl, agent)),
    );
    for (const b of batch) {
      if (b.status === "fulfilled") clients.push(b.value);
      else failed++;
    }
  }
  const openRssKb = await settledRss(pid);
  const quietCpu = await cpuShare(pid, () => sleep(o.idleSeconds * 1000));

  const sent: Array<{ no: number; at: number }> = [];
  const fanoutCpu = await cpuShare(pid, async () => {
    for (let i = 0; i < o.replies; i++) {
      const started = performance.now();
      sent.push(await post(`live reply ${i}`));
      await sleep(Math.max(0, 1000 - (performance.now() - started)));
    }
  });
  // The last reply's events may still be on their way.
  const deadline = performance.now() + 10_000;
  const last = sent[sent.length - 1]!.no;
  while (performance.now() < deadline && clients.some((c) => !c.ended && !c.seen.has(last))) await sleep(50);

  const latencies: number[] = [];
  const firstMs: number[] = [];
  const lastMs: number[] = [];
  let missed = 0;
  for (const s of sent) {
    let fastest = Number.POSITIVE_INFINITY;
    let slowest = Number.NEGATIVE_INFINITY;
    for (const c of clients) {
      const at = c.seen.get(s.no);
      if (at === undefined) {
        missed++;
        continue;
      }
      latencies.push(at - s.at);
      fastest = Math.min(fastest, at - s.at);
      slowest = Math.max(slowest, at - s.at);
    }
    firstMs.push(fastest);
    lastMs.push(slowest);
  }
  failed += clients.filter((c) => c.ended).length;
  for (const c of clients) c.req.destroy();
  agent.destroy();
  postAgent.destroy();
  return {
    streams: clients.length,
    replies: sent.length,
    idleRssKb,
    openRssKb,
    idleCpu,
    quietCpu,
    fanoutCpu,
    latencies,
    firstMs,
    lastMs,
    load: loadavg()[0] ?? Number.NaN,
    missed,
    failed,
  };
}

/** The results table's rows for the live streams. */
export function liveStreamsRows(r: LiveBenchResult): Row[] {
  const label = `live: ${r.streams} open event streams`;
  const row = (name: string, value: number, unit: string, baseline: number | null): Row => ({
    name,
    value,
    unit,
    baseline,
    ratio: baseline === null || baseline === 0 ? null : value / baseline,
    target: null,
  });
  return [
    row(`${label}, server RSS growth per stream`, (r.openRssKb - r.idleRssKb) / r.streams, "KB", null),
    row(`${label}, server CPU fanning out 1 reply/s (baseline: idle)`, r.fanoutCpu, "% CPU", r.idleCpu),
    row(`${label}: POST 201 → event read, p50`, quantile(r.latencies, 0.5), "ms", null),
    row(`${label}: POST 201 → event read, p99`, quantile(r.latencies, 0.99), "ms", null),
  ];
}

export function liveStreamsNote(r: LiveBenchResult): string {
  return (
    `live: server RSS ${(r.idleRssKb / 1024).toFixed(1)} MB idle, ${(r.openRssKb / 1024).toFixed(1)} MB with ` +
    `${r.streams} streams open; CPU ${r.idleCpu.toFixed(1)}% idle, ${r.quietCpu.toFixed(1)}% with the streams ` +
    `open and quiet, ${r.fanoutCpu.toFixed(1)}% while ${r.replies} replies went out one a second; ` +
    `201 → the first stream's read, median ${quantile(r.firstMs, 0.5).toFixed(1)} ms; → the last stream's, ` +
    `median ${quantile(r.lastMs, 0.5).toFixed(1)} ms, max ${Math.max(...r.lastMs).toFixed(1)} ms; ` +
    `${r.missed} (reply, stream) pairs missed, ${r.failed} streams refused or ended early; ` +
    `load average ${r.load.toFixed(1)}`
  );
}
