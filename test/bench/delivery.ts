/**
 * The delivery part of `npm run bench`: how fast a peer that was down gets its backlog once it
 * answers again, and how many items per second the worker delivers to one peer's inbox, with the
 * sending server's CPU time per item.
 *
 * The items are queued straight into the bench server's SQLite store (another connection on the
 * same file, as a second process would), for its own delivery worker to send to a peer that lives
 * here, in the parent: one HTTP server on a loopback address of its own, which verifies every
 * signature with the board's published key, records when each item arrived and counts the TCP
 * connections it was sent on.
 */
import { generateKeyPairSync } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { PublicKeyCache, verifyRequest } from "../../federation/http/signatures.js";
import type { NewDelivery } from "../../server/domain/federation-ports.js";
import { openSqliteStore } from "../../storage/sqlite/store.js";
import type { PlainSendJob } from "./plain-sender.js";

/** One peer's shared inbox. */
class BenchPeer {
  /** While true, every POST is answered 503, as by a server in maintenance. */
  down = false;
  /** performance.now() of each item accepted (2xx), in arrival order, with its number. */
  readonly accepted: Array<{ at: number; n: number }> = [];
  refused = 0;
  unverified = 0;
  connections = 0;
  readonly #server: Server;
  #key = "";
  /** As a real inbox would, the peer parses the board's key once. */
  readonly #keys = new PublicKeyCache();

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(address: string): Promise<BenchPeer> {
    const server = createServer();
    const peer = new BenchPeer(server);
    server.on("connection", () => peer.connections++);
    server.on("request", (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        if (peer.down) {
          peer.refused++;
          res.writeHead(503).end();
          return;
        }
        const rawBody = Buffer.concat(chunks);
        try {
          verifyRequest(
            { method: req.method ?? "POST", path: req.url ?? "/", headers: req.headers, rawBody },
            { publicKeyPem: peer.#key, keyCache: peer.#keys },
          );
        } catch {
          peer.unverified++;
        }
        peer.accepted.push({ at: performance.now(), n: (JSON.parse(rawBody.toString("utf8")) as { n: number }).n });
        res.writeHead(202).end();
      });
    });
    server.listen(0, address);
    await once(server, "listening");
    return peer;
  }

  inbox(path: string): string {
    const a = this.#server.address() as AddressInfo;
    return `http://${a.address}:${a.port}${path}`;
  }

  trust(publicKeyPem: string): void {
    this.#key = publicKeyPem;
  }

  trustedKey(): string {
    return this.#key;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }
}

export interface DeliveryFigures {
  /** Items in the returning peer's backlog. */
  backlog: number;
  /** From the peer's first 2xx answer to the last item of the backlog received, in ms. */
  backlogMs: number;
  /** Requests the peer answered 503 while it was down. */
  refusedWhileDown: number;
  /** Items delivered in the throughput run, and their rate to one inbox. */
  items: number;
  itemsPerSecond: number;
  /** The same number of signed POSTs sent one at a time by a bare client (plain-sender.ts), per second. */
  baselinePerSecond: number;
  /** The server's CPU time (all threads) per delivered item in that run, in ms; null without /proc. */
  cpuMsPerItem: number | null;
  /** TCP connections the peer accepted over all runs, the baseline's one included (one per item without keep-alive). */
  connections: number;
  /** Items whose signature did not verify (should be 0). */
  unverified: number;
  /** Items that arrived out of the order they were queued in (should be 0). */
  outOfOrder: number;
}

function items(inbox: string, board: string, from: number, count: number): NewDelivery[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    const id = `${board}/bench-delivery/${n}`;
    return {
      id,
      inbox,
      domain: new URL(inbox).hostname,
      body: JSON.stringify({
        "@context": "https://www.w3.org/ns/activitystreams",
        id,
        type: "Create",
        actor: board,
        n,
      }),
      keyId: board,
      activityId: id,
    };
  });
}

async function waitUntil(what: string, check: () => boolean, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`delivery: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function outOfOrder(accepted: Array<{ n: number }>): number {
  return accepted.filter((a, i) => i > 0 && a.n < accepted[i - 1]!.n).length;
}

/** Runs the bare sender over `count` items to `inbox` and returns its rate, as the peer saw it. */
async function baselineRate(peer: BenchPeer, inbox: string, board: string, from: number, count: number) {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const main = peer.trustedKey();
  peer.trust(publicKey.export({ type: "spki", format: "pem" }).toString());
  const start = peer.accepted.length;
  try {
    const job: PlainSendJob = {
      url: inbox,
      keyId: `${board}#main-key`,
      privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      bodies: items(inbox, board, from, count).map((d) => d.body),
    };
    const worker = new Worker(new URL("./plain-sender.js", import.meta.url), { workerData: job });
    const [result] = (await once(worker, "message")) as [{ failed: number }];
    if (result.failed > 0) throw new Error(`delivery baseline: ${result.failed} POSTs were refused`);
    const run = peer.accepted.slice(start);
    return (count - 1) / ((run.at(-1)!.at - run[0]!.at) / 1000);
  } finally {
    peer.trust(main);
  }
}

/**
 * (a) A backlog of `backlog` items waits for a peer that answers 503; once the worker has been
 * refused twice, the peer answers again, and the time runs from its first 2xx to the last item.
 * (b) `items` more are queued for the same inbox of the healthy peer, and the rate runs from the
 * first to the last item received, with the server's CPU time over the run; right before it, the
 * bare sender's rate over as many items is the baseline.
 */
export async function deliveryBench(o: {
  url: string;
  dataDir: string;
  board: string;
  serverCpuMs: () => number | null;
  backlog?: number;
  items?: number;
}): Promise<DeliveryFigures> {
  const backlog = o.backlog ?? 1000;
  const count = o.items ?? 2000;
  const boardActor = `${o.url}/ap/boards/${o.board}`;
  const actor = await fetch(boardActor, { headers: { accept: "application/activity+json" } });
  if (actor.status !== 200) throw new Error(`delivery: the board actor answered ${actor.status}`);
  const peer = await BenchPeer.start("127.0.2.1");
  peer.trust(((await actor.json()) as { publicKey: { publicKeyPem: string } }).publicKey.publicKeyPem);
  const store = openSqliteStore(join(o.dataDir, "atoll.db"));
  try {
    const inbox = peer.inbox("/inbox");
    peer.down = true;
    await store.federation.deliveries.enqueue(items(inbox, boardActor, 1, backlog));
    await waitUntil("two refused tries", () => peer.refused >= 2, 30_000);
    peer.down = false;
    await waitUntil("the backlog", () => peer.accepted.length >= backlog, 120_000);
    const back = peer.accepted.slice(0, backlog);
    const backlogMs = back.at(-1)!.at - back[0]!.at;
    const refusedWhileDown = peer.refused;

    const baselinePerSecond = await baselineRate(peer, inbox, boardActor, 1_000_000, count);
    const accepted = peer.accepted.length;
    const cpuBefore = o.serverCpuMs();
    await store.federation.deliveries.enqueue(items(inbox, boardActor, backlog + 1, count));
    await waitUntil("the throughput run", () => peer.accepted.length >= accepted + count, 300_000);
    const cpuAfter = o.serverCpuMs();
    const run = peer.accepted.slice(accepted);
    const seconds = (run.at(-1)!.at - run[0]!.at) / 1000;
    return {
      backlog,
      backlogMs,
      refusedWhileDown,
      items: count,
      itemsPerSecond: (count - 1) / seconds,
      baselinePerSecond,
      cpuMsPerItem: cpuBefore === null || cpuAfter === null ? null : (cpuAfter - cpuBefore) / count,
      connections: peer.connections,
      unverified: peer.unverified,
      outOfOrder: outOfOrder(peer.accepted.slice(0, backlog)) + outOfOrder(run),
    };
  } finally {
    await store.close();
    await peer.close();
  }
}
