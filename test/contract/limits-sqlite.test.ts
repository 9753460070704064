import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { afterAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../server/paths.js";
import { openDatabase } from "../../storage/sqlite/database.js";
import { MIGRATIONS, migrate } from "../../storage/sqlite/migrations.js";
import { openSqliteStore } from "../../storage/sqlite/store.js";
import { range } from "./factories.js";
import { slot } from "./limits.contract.js";

/*
 * SQLite specifics of the shared limits: upgrading an existing file, and connections on one file
 * racing for real, each on a thread of its own (as processes on one host would), through the built
 * store (dist/, which `npm test` builds first).
 */

const builtStore = join(projectRoot(), "dist", "storage", "sqlite", "store.js");

/** Runs on each thread: opens the file, waits for the start signal, then races for every slot and token. */
const RACER = `
const { workerData, parentPort } = require("node:worker_threads");
(async () => {
  const { openSqliteStore } = await import(workerData.module);
  const store = openSqliteStore(workerData.file, { checkpoints: false });
  const go = new Int32Array(workerData.go);
  parentPort.postMessage({ ready: true });
  Atomics.wait(go, 0, 0);
  const won = [];
  const now = workerData.now;
  for (let i = 0; i < workerData.keys; i++) {
    const taken = await store.limits.slots.take({
      key: "reply:" + i, holder: workerData.name + i, now, gapMs: 10000, expiresAt: now + 86400000,
    });
    if (taken.taken) won.push("slot" + i);
    if (await store.limits.tokens.spend("captcha:" + i, now + 60000)) won.push("token" + i);
    await store.limits.counters.add([{ key: "w:shared", window: now, count: 1, expiresAt: now + 60000 }]);
  }
  await store.close();
  parentPort.postMessage({ won });
})().catch((err) => parentPort.postMessage({ error: String(err && err.stack || err) }));
`;

function racer(file: string, name: string, go: SharedArrayBuffer, now: number, keys: number) {
  const worker = new Worker(RACER, {
    eval: true,
    workerData: { module: pathToFileURL(builtStore).href, file, name, go, now, keys },
  });
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const done = new Promise<string[]>((resolve, reject) => {
    worker.on("message", (m: { ready?: true; won?: string[]; error?: string }) => {
      if (m.ready) markReady();
      else if (m.won) resolve(m.won);
      else reject(new Error(m.error));
    });
    worker.on("error", reject);
  });
  return { ready, done };
}

describe("SQLite shared limits", () => {
  const dir = mkdtempSync(join(tmpdir(), "atoll-sqlite-limits-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("upgrades a database made before the shared limits, keeping its data", async () => {
    const file = join(dir, "before.db");
    const db = openDatabase(file);
    const earlier = MIGRATIONS.filter((m) => m.version < 5);
    expect(migrate(db, earlier)).toEqual(earlier.map((m) => m.version));
    db.prepare("INSERT INTO settings (key, value) VALUES ('instance_secret', 'kept')").run();
    db.close();

    const store = openSqliteStore(file);
    try {
      expect(await store.settings.get("instance_secret")).toBe("kept");
      expect(await store.limits.tokens.spend("captcha:n", Date.UTC(2100, 0, 1))).toBe(true);
      expect(await store.limits.slots.take(slot("reply:ip", "h", 1000, 10))).toEqual({ taken: true });
    } finally {
      await store.close();
    }
  });

  it("prunes by walking the expiry indexes", () => {
    const db = openDatabase(join(dir, "plans.db"));
    try {
      migrate(db);
      const plan = (sql: string) =>
        db
          .prepare(`EXPLAIN QUERY PLAN ${sql}`)
          .all(0, 10)
          .map((r) => (r as { detail: string }).detail)
          .join("; ");
      expect(plan("SELECT key, window_start FROM limit_counters WHERE expires_at <= ? LIMIT ?")).toMatch(
        /limit_counters_expiry/,
      );
      expect(plan("SELECT key FROM limit_slots WHERE expires_at <= ? LIMIT ?")).toMatch(/limit_slots_expiry/);
      expect(plan("SELECT token FROM spent_tokens WHERE expires_at <= ? LIMIT ?")).toMatch(/spent_tokens_expiry/);
    } finally {
      db.close();
    }
  });

  it("sees another connection's slot, token and count at once", async () => {
    const file = join(dir, "two.db");
    const a = openSqliteStore(file);
    const b = openSqliteStore(file);
    try {
      expect(await a.limits.slots.take(slot("reply:ip", "a", 5000, 10_000))).toEqual({ taken: true });
      expect(await b.limits.slots.take(slot("reply:ip", "b", 5000, 10_000))).toEqual({
        taken: false,
        freeAt: 15_000,
      });
      expect(await b.limits.slots.giveBack("reply:ip", "a")).toBe(true);
      expect(await a.limits.slots.take(slot("reply:ip", "a2", 5000, 10_000))).toEqual({ taken: true });
      expect(await a.limits.tokens.spend("captcha:x", 60_000)).toBe(true);
      expect(await b.limits.tokens.spend("captcha:x", 60_000)).toBe(false);
      await a.limits.counters.add([{ key: "r:ip", window: 0, count: 3, expiresAt: 60_000 }]);
      expect(await b.limits.counters.add([{ key: "r:ip", window: 0, count: 1, expiresAt: 60_000 }])).toEqual([4]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it.skipIf(!existsSync(builtStore))(
    "gives each slot and token to exactly one of two connections racing on two threads (needs dist/)",
    async () => {
      const file = join(dir, "race.db");
      await openSqliteStore(file).close();
      const go = new SharedArrayBuffer(4);
      const keys = 1000;
      const now = Date.UTC(2100, 0, 1);
      const racers = [racer(file, "a", go, now, keys), racer(file, "b", go, now, keys)];
      await Promise.all(racers.map((r) => r.ready));
      const flag = new Int32Array(go);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      const [a, b] = await Promise.all(racers.map((r) => r.done));
      const all = [...a!, ...b!];
      const expected = range(0, keys - 1).flatMap((i) => [`slot${i}`, `token${i}`]);
      expect(all.sort()).toEqual(expected.sort());
      const store = openSqliteStore(file);
      try {
        expect(await store.limits.counters.totals([{ key: "w:shared", window: now }])).toEqual([2 * keys]);
      } finally {
        await store.close();
      }
    },
  );
});
