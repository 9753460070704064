import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { afterAll, describe, expect, it } from "vitest";
import type { Delivery } from "../../server/domain/federation-ports.js";
import { projectRoot } from "../../server/paths.js";
import { openDatabase } from "../../storage/sqlite/database.js";
import { CachedFollowRepository } from "../../storage/sqlite/federation/cached-follows.js";
import { SqliteFollowRepository } from "../../storage/sqlite/federation/follows.js";
import { MIGRATIONS, migrate } from "../../storage/sqlite/migrations.js";
import { openSqliteStore } from "../../storage/sqlite/store.js";
import { newBoard, newPost, ROOMY, range } from "./factories.js";
import { delivery } from "./federation-deliveries.contract.js";
import { workerRecord } from "./federation-delivery-recovery.contract.js";
import { follow } from "./federation-factories.js";

/* SQLite specifics of the federation storage: upgrading an existing file, and two connections on one file. */

describe("SQLite federation storage", () => {
  const dir = mkdtempSync(join(tmpdir(), "atoll-sqlite-federation-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("upgrades a database made before federation, keeping its data", async () => {
    const file = join(dir, "v1.db");
    const db = openDatabase(file);
    expect(migrate(db, MIGRATIONS.slice(0, 1))).toEqual([1]);
    db.close();
    const old = openSqliteStore(file);
    await old.boards.create(newBoard("b"));
    await old.posts.createThread("b", newPost({ comment: "before" }), ROOMY);
    await old.close();

    const store = openSqliteStore(file);
    try {
      expect((await store.posts.getPost("b", 1))?.comment).toBe("before");
      await store.federation.deliveries.enqueue([delivery("a")], 1000);
      expect(await store.federation.deliveries.countPending()).toBe(1);
    } finally {
      await store.close();
    }
  });

  it("upgrades a federating database to instance records, keeping its follows", async () => {
    const file = join(dir, "v2.db");
    const db = openDatabase(file);
    expect(migrate(db, MIGRATIONS.slice(0, 2))).toEqual([1, 2]);
    db.close();
    const old = openSqliteStore(file);
    await old.federation.follows.add(follow());
    await old.close();

    const store = openSqliteStore(file);
    try {
      expect(await store.federation.follows.inboxesForBoard("b")).toEqual([follow().inbox]);
      expect(await store.federation.instances.list()).toEqual([]);
      await store.federation.instances.recordSoftware("remote.example", "lemmy", "0.19", 1000);
      expect((await store.federation.instances.get("remote.example"))?.software).toBe("lemmy");
    } finally {
      await store.close();
    }
  });

  it("upgrades a queue made before per-inbox order, keeping its items in the order they were queued", async () => {
    const file = join(dir, "v4.db");
    const db = openDatabase(file);
    expect(
      migrate(
        db,
        MIGRATIONS.filter((m) => m.version <= 4),
      ),
    ).toEqual([1, 2, 3, 4]);
    const insert = db.prepare(
      `INSERT INTO deliveries (id, inbox, domain, body, key_id, activity_id, attempts, next_attempt_at, leased_until,
         last_error, created_at)
       VALUES (?, ?, 'old.example', ?, 'k', ?, ?, ?, ?, ?, ?)`,
    );
    // queued out of id order, one retried with its own back-off, one under a lease of the old kind
    insert.run("z", "https://old.example/inbox", '{"n":1}', "a1", 2, 9000, null, "HTTP 503", 1000);
    insert.run("a", "https://old.example/inbox", '{"n":2}', "a2", 0, 2000, 70_000, null, 2000);
    insert.run("m", "https://old.example/other", '{"n":3}', "a3", 0, 3000, null, null, 3000);
    db.prepare(
      `INSERT INTO dropped_deliveries (id, inbox, domain, key_id, activity_id, attempts, last_error, created_at, dropped_at)
       VALUES ('gone', 'https://old.example/inbox', 'old.example', 'k', 'a0', 3, 'HTTP 400', 500, 600)`,
    ).run();
    db.prepare(
      "INSERT INTO domain_health (domain, consecutive_failures, first_failure_at) VALUES ('old.example', 2, 1000)",
    ).run();
    db.close();

    const store = openSqliteStore(file);
    try {
      const queue = store.federation.deliveries;
      expect(await queue.countPending()).toBe(3);
      // each inbox is due when its earliest item was, and the old leases are gone
      expect((await queue.claim(3000, 10, 60_000, 10)).map((d) => [d.id, d.attempts, d.lastError])).toEqual([
        ["z", 2, "HTTP 503"],
        ["m", 0, null],
      ]);
      await queue.complete("z", 3000);
      expect((await queue.claim(3000, 10, 60_000, 10)).map((d) => d.id)).toEqual(["a"]);
      const [dropped] = await queue.listDropped(10);
      expect(dropped).toMatchObject({ id: "gone", body: "", lastError: "HTTP 400", droppedAt: 600 });
      // a drop recorded without its body cannot be sent again
      expect(await queue.replayDropped([dropped!.seq], 4000)).toBe(0);
      expect(await store.federation.peerHealth.get("old.example")).toMatchObject({
        consecutiveFailures: 2,
        nextProbeAt: null,
      });
      expect(await store.federation.peerHealth.failing()).toEqual(["old.example"]);
    } finally {
      await store.close();
    }
  });

  it("answers a board's inboxes from memory, yet sees a follow another connection just made", async () => {
    const file = join(dir, "follows.db");
    const a = openSqliteStore(file);
    const b = openSqliteStore(file);
    try {
      const first = follow({ actorId: "https://one.example/u", domain: "one.example" });
      await a.federation.follows.add(first);
      expect(await a.federation.follows.inboxesForBoard("b")).toEqual([first.inbox]);
      const second = follow({ actorId: "https://two.example/u", domain: "two.example" });
      await b.federation.follows.add(second);
      expect(await a.federation.follows.inboxesForBoard("b")).toEqual([first.inbox, second.inbox]);
      expect((await a.federation.follows.followersOf("b")).map((f) => f.actorId)).toEqual([
        first.actorId,
        second.actorId,
      ]);
      await b.federation.follows.removeByDomain("one.example");
      expect(await a.federation.follows.inboxesForBoard("b")).toEqual([second.inbox]);
      expect((await a.federation.follows.followersOf("b")).map((f) => f.actorId)).toEqual([second.actorId]);
      // Through this connection too: its own write drops what it kept.
      await a.federation.follows.remove(second.actorId, second.objectId);
      expect(await a.federation.follows.followersOf("b")).toEqual([]);
      // The board's own follows too: one accepted on the other connection is seen accepted.
      const group = "https://peer.example/c/g";
      const out = follow({ actorId: first.objectId, objectId: group, direction: "outbound", state: "pending" });
      await a.federation.follows.add(out);
      expect((await a.federation.follows.followingOf("b")).map((f) => f.state)).toEqual(["pending"]);
      await b.federation.follows.accept(out.actorId, group);
      expect((await a.federation.follows.followingOf("b")).map((f) => f.state)).toEqual(["accepted"]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("keeps nothing from inside a transaction: a rolled back follow is not delivered to", async () => {
    const db = openDatabase(join(dir, "tx.db"));
    try {
      migrate(db);
      const follows = new CachedFollowRepository(new SqliteFollowRepository(db), db);
      const kept = follow({ actorId: "https://kept.example/u", domain: "kept.example" });
      await follows.add(kept);
      expect(await follows.inboxesForBoard("b")).toEqual([kept.inbox]);
      db.exec("BEGIN");
      const undone = follow({ actorId: "https://undone.example/u", domain: "undone.example" });
      await follows.add(undone);
      expect(await follows.inboxesForBoard("b")).toEqual([kept.inbox, undone.inbox]);
      expect(await follows.followersOf("b")).toHaveLength(2);
      db.exec("ROLLBACK");
      expect(await follows.inboxesForBoard("b")).toEqual([kept.inbox]);
      expect((await follows.followersOf("b")).map((f) => f.actorId)).toEqual([kept.actorId]);
    } finally {
      db.close();
    }
  });

  it("never hands one inbox to claims on two connections, and holds the per-domain limit across them", async () => {
    const file = join(dir, "shared.db");
    const a = openSqliteStore(file);
    const b = openSqliteStore(file);
    try {
      // three domains, five inboxes each, two items per inbox
      await a.federation.deliveries.enqueue(
        range(1, 30).map((i) => delivery(`d${i}`, `host${i % 3}.example`, { inbox: `/u${i % 15}` })),
        1000,
      );
      const taken: Delivery[] = [];
      for (let round = 0; round < 4; round++) {
        const claims = await Promise.all([
          a.federation.deliveries.claim(1000, 4, 60_000, 4),
          b.federation.deliveries.claim(1000, 4, 60_000, 4),
        ]);
        taken.push(...claims.flat());
      }
      // four leases per domain at most, whichever connection took them, one item per inbox
      expect(taken).toHaveLength(12);
      expect(new Set(taken.map((d) => d.inbox)).size).toBe(12);
      // and each is its inbox's first item
      expect(taken.every((d) => Number(d.id.slice(1)) <= 15)).toBe(true);
      expect(await b.federation.deliveries.countPending()).toBe(30);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("lets another connection take over the inboxes of a worker found dead", async () => {
    const file = join(dir, "workers.db");
    const a = openSqliteStore(file);
    const b = openSqliteStore(file);
    try {
      await a.federation.deliveries.registerWorker(workerRecord("wa"));
      await b.federation.deliveries.registerWorker(workerRecord("wb"));
      await a.federation.deliveries.enqueue(
        range(1, 4).map((i) => delivery(`d${i}`, "remote.example", { inbox: `/u${i}` })),
        1000,
      );
      expect(await a.federation.deliveries.claim(1000, 10, 60_000, 2, "wa")).toHaveLength(2);
      expect(await b.federation.deliveries.claim(1000, 10, 60_000, 2, "wb")).toEqual([]);
      expect(await b.federation.deliveries.removeWorker("wa")).toBe(2);
      expect(await b.federation.deliveries.claim(1000, 10, 60_000, 2, "wb")).toHaveLength(2);
      expect((await a.federation.deliveries.listWorkers()).map((w) => w.id)).toEqual(["wb"]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it.skipIf(!existsSync(BUILT_STORE))(
    "keeps each inbox's order, one send per inbox and the domain limit with two threads sending from one file",
    async () => {
      const file = join(dir, "threads.db");
      const store = openSqliteStore(file);
      const inboxes = range(0, 11).map((k) => `https://host${k % 4}.example/u${k}`);
      const items = range(1, 240).map((i) => {
        const inbox = inboxes[i % 12]!;
        return delivery(`d${String(i).padStart(3, "0")}`, new URL(inbox).hostname, { inbox });
      });
      try {
        // queued in three calls, so the order spans transactions
        for (const part of [items.slice(0, 80), items.slice(80, 160), items.slice(160)]) {
          await store.federation.deliveries.enqueue(part, 1000);
        }
      } finally {
        await store.close();
      }
      const shared = new SharedArrayBuffer(4 * COUNTERS.length);
      const results = await Promise.all([0, 1].map(() => sendInThread(file, inboxes, shared)));
      const sent = results.flat().sort((x, y) => x.at - y.at);
      // every item exactly once, and each inbox's items in the order queued
      expect(sent.map((s) => s.id).sort()).toEqual(items.map((d) => d.id));
      for (const inbox of inboxes) {
        const queued = items.filter((d) => d.inbox === inbox).map((d) => d.id);
        expect(sent.filter((s) => s.inbox === inbox).map((s) => s.id)).toEqual(queued);
      }
      // both threads took part; never two sends at once to one inbox, nor three to one domain
      expect(results.every((r) => r.length > 0)).toBe(true);
      const counters = new Int32Array(shared);
      expect(counters[COUNTERS.indexOf("maxPerInbox")]).toBe(1);
      expect(counters[COUNTERS.indexOf("maxPerDomain")]).toBeGreaterThanOrEqual(1);
      expect(counters[COUNTERS.indexOf("maxPerDomain")]).toBeLessThanOrEqual(2);
    },
    60_000,
  );

  it("agrees on one actor key across two connections", async () => {
    const file = join(dir, "keys.db");
    const a = openSqliteStore(file);
    const b = openSqliteStore(file);
    try {
      const [x, y] = await Promise.all([
        a.federation.keys.getOrCreate("https://atoll.example/b", async () => ({
          publicKeyPem: "A",
          privateKeyPem: "a",
        })),
        b.federation.keys.getOrCreate("https://atoll.example/b", async () => ({
          publicKeyPem: "B",
          privateKeyPem: "b",
        })),
      ]);
      expect(x).toEqual(y);
      expect(await a.federation.keys.get("https://atoll.example/b")).toEqual(x);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

const BUILT_STORE = join(projectRoot(), "dist", "storage", "sqlite", "store.js");
/** The shared counters of the threads: in flight per inbox (12) and per domain (4), their maxima, and a clock. */
const COUNTERS = [
  ...range(0, 11).map((k) => `inbox${k}`),
  ...range(0, 3).map((k) => `domain${k}`),
  "maxPerInbox",
  "maxPerDomain",
  "tick",
  "ready",
];

/**
 * A second sender on its own thread (SQLite calls block, so two senders in one thread would take
 * turns): it opens the built store on `file` and claims, "sends" (counting what is in flight per
 * inbox and per domain in `shared`, with a pause) and completes until the queue stays empty.
 */
function sendInThread(
  file: string,
  inboxes: string[],
  shared: SharedArrayBuffer,
): Promise<Array<{ id: string; inbox: string; at: number }>> {
  const code = `
    const { parentPort, workerData } = require("node:worker_threads");
    const { file, inboxes, shared, storeUrl, names } = workerData;
    const c = new Int32Array(shared);
    const at = (name) => names.indexOf(name);
    const raise = (i, n) => { for (;;) { const m = Atomics.load(c, i); if (n <= m || Atomics.compareExchange(c, i, m, n) === m) return; } };
    const pause = (ms) => new Promise((r) => setTimeout(r, ms));
    (async () => {
      const { openSqliteStore } = await import(storeUrl);
      const store = openSqliteStore(file);
      const q = store.federation.deliveries;
      const sent = [];
      // both start together
      Atomics.add(c, at("ready"), 1);
      while (Atomics.load(c, at("ready")) < 2) await pause(1);
      for (let idle = 0; idle < 25; ) {
        const batch = await q.claim(1000, 4, 60000, 2, null);
        if (batch.length === 0) { idle++; await pause(2); continue; }
        idle = 0;
        await Promise.all(batch.map(async (d) => {
          const k = inboxes.indexOf(d.inbox);
          const dom = at("domain" + (k % 4));
          raise(at("maxPerInbox"), Atomics.add(c, at("inbox" + k), 1) + 1);
          raise(at("maxPerDomain"), Atomics.add(c, dom, 1) + 1);
          sent.push({ id: d.id, inbox: d.inbox, at: Atomics.add(c, at("tick"), 1) });
          await pause(1);
          Atomics.sub(c, dom, 1);
          Atomics.sub(c, at("inbox" + k), 1);
          await q.complete(d.id, 1000);
        }));
      }
      await store.close();
      parentPort.postMessage(sent);
    })().catch((err) => { throw err; });
  `;
  const worker = new Worker(code, {
    eval: true,
    workerData: { file, inboxes, shared, storeUrl: pathToFileURL(BUILT_STORE).href, names: COUNTERS },
  });
  return new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}
