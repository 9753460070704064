import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewDelivery } from "../../server/domain/delivery-ports.js";
import type { Store } from "../../server/domain/ports.js";
import { openSqliteStore } from "../../storage/sqlite/store.js";
import { freePort } from "../support/fedify-peer.js";
import { waitFor } from "../support/loopback.js";
import { type ServerProcess, serverBuilt, startServer } from "../support/server-process.js";

/*
 * One web process and two delivery workers on one DATA_DIR, sending a queue spread over several
 * peers on loopback. Each peer counts the requests it holds at once (the per-domain limit must hold
 * across the workers) and, for each request, which worker holds the inbox's lease in the store at
 * that moment (both workers must send a share). Three peers at two sends each are fewer slots
 * than one worker's concurrency: the case where one worker used to take every slot.
 */

const TOKEN = "w".repeat(32);
const ORIGIN_HOST = "127.0.0.40";
const PEER_HOSTS = ["127.0.0.41", "127.0.0.42", "127.0.0.43"];
const INBOXES_PER_PEER = 6;
const ITEMS_PER_INBOX = 10;
/** The workers' default per-domain limit. */
const PER_DOMAIN = 2;
/** How long a peer holds each request: long enough that sends overlap. */
const HOLD_MS = 40;

interface Peer {
  host: string;
  server: Server;
  url: string;
  open: number;
  maxOpen: number;
  received: number;
  byWorker: Map<string, number>;
}

describe.skipIf(!serverBuilt)("delivery over several worker processes (needs dist/: npm run build)", () => {
  let dataDir: string;
  const processes: ServerProcess[] = [];
  const peers: Peer[] = [];
  let leases: Database.Database;
  let store: Store;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "atoll-workers-"));
    const port = await freePort(ORIGIN_HOST);
    const env = {
      DATA_DIR: dataDir,
      PUBLIC_URL: `http://${ORIGIN_HOST}:${port}`,
      ADMIN_TOKEN: TOKEN,
    };
    processes.push(await startServer({ ...env, PORT: String(port), ATOLL_ROLE: "web" }, ORIGIN_HOST));
    for (const h of ["127.0.0.38", "127.0.0.39"]) {
      processes.push(await startServer({ ...env, ATOLL_ROLE: "worker" }, h));
    }
    leases = new Database(join(dataDir, "atoll.db"), { readonly: true, fileMustExist: true });
    const whoLeased = leases.prepare<[string], { leased_by: string | null }>(
      "SELECT leased_by FROM delivery_inboxes WHERE inbox = ?",
    );
    for (const host of PEER_HOSTS) {
      const peer: Peer = {
        host,
        server: createServer(),
        url: "",
        open: 0,
        maxOpen: 0,
        received: 0,
        byWorker: new Map(),
      };
      peer.server.on("request", (req, res) => {
        peer.open++;
        peer.maxOpen = Math.max(peer.maxOpen, peer.open);
        const url = `${peer.url}${req.url ?? ""}`;
        const worker = whoLeased.get(url)?.leased_by ?? "none";
        peer.byWorker.set(worker, (peer.byWorker.get(worker) ?? 0) + 1);
        req.resume();
        req.on("end", () => {
          setTimeout(() => {
            peer.received++;
            peer.open--;
            res.writeHead(202).end();
          }, HOLD_MS);
        });
      });
      await new Promise<void>((resolve) => peer.server.listen(0, host, resolve));
      peer.url = `http://${host}:${(peer.server.address() as AddressInfo).port}`;
      peers.push(peer);
    }
    store = openSqliteStore(join(dataDir, "atoll.db"), { checkpoints: false });
  }, 120_000);

  afterAll(async () => {
    for (const p of processes) await p.kill();
    leases?.close();
    await store?.close();
    for (const p of peers) await new Promise((r) => p.server.close(r));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("spreads the queue over both workers, never more than the per-domain limit at once per peer", async () => {
    const actor = `${processes[0]!.env["PUBLIC_URL"]}/ap/actor`;
    await waitFor(
      "both workers to register",
      async () => (await store.federation.deliveries.listWorkers()).length === 2,
      30_000,
    );
    const items: NewDelivery[] = [];
    for (let n = 0; n < ITEMS_PER_INBOX; n++) {
      for (const peer of peers) {
        for (let i = 0; i < INBOXES_PER_PEER; i++) {
          const id = `${peer.host}-${i}-${n}`;
          items.push({
            id,
            inbox: `${peer.url}/u${i}/inbox`,
            domain: peer.host,
            body: JSON.stringify({ id: `${actor}/activities/${id}`, type: "Create" }),
            keyId: actor,
            activityId: `${actor}/activities/${id}`,
          });
        }
      }
    }
    await store.federation.deliveries.enqueue(items, Date.now());
    const total = items.length;
    await waitFor(
      "every item to be delivered",
      async () =>
        peers.reduce((n, p) => n + p.received, 0) >= total && (await store.federation.deliveries.countPending()) === 0,
      120_000,
    );
    const workers = new Map<string, number>();
    for (const p of peers) for (const [w, n] of p.byWorker) workers.set(w, (workers.get(w) ?? 0) + n);
    expect(peers.reduce((n, p) => n + p.received, 0)).toBe(total);
    for (const p of peers) expect(p.maxOpen).toBeLessThanOrEqual(PER_DOMAIN);
    // the limit was reached, so the bound above was tested
    expect(Math.max(...peers.map((p) => p.maxOpen))).toBe(PER_DOMAIN);
    expect(workers.has("none")).toBe(false);
    expect(workers.size).toBe(2);
    // both send a real share, not a stray item or two
    for (const n of workers.values()) expect(n).toBeGreaterThan(total / 5);
  }, 180_000);
});
