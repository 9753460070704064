import { stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { Db } from "./database.js";

/** SQLite's own threshold: the connection checkpoints once the WAL holds this many pages. */
const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

export interface CheckpointerOptions {
  /** The WAL size at which checkpoints move to the background thread. Default 4 MiB. */
  startBytes?: number;
  /** How often the WAL size is looked at until then. Default 1 s. */
  watchMs?: number;
  /** How often the background thread checkpoints. Default 250 ms. */
  intervalMs?: number;
  /**
   * The connection's own threshold once the background thread checkpoints, in pages: a safety
   * net should that thread fall behind. Default 16,384 (64 MiB of 4 KiB pages).
   */
  fallbackPages?: number;
  /** The SQLite driver the thread loads (the same one as the connection's, by default). */
  driver?: string;
  /** Told when the background thread fails and checkpoints go back to the connection. */
  onError?: (err: Error) => void;
}

/*
 * The body of the background thread: its own connection to the file, checkpointing every
 * `intervalMs` with PASSIVE (which never waits for, nor blocks, readers and writers), until told
 * to stop. Given as source so it runs the same from the TypeScript sources and from the build.
 */
const THREAD = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
let db;
try {
  db = new Database(workerData.file, { timeout: 1000, fileMustExist: true });
  db.pragma("synchronous = NORMAL");
} catch (err) {
  parentPort.postMessage({ error: String(err && err.message || err) });
  process.exit(1);
}
const timer = setInterval(() => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch (err) {
    if (err && err.code === "SQLITE_BUSY") return;
    clearInterval(timer);
    parentPort.postMessage({ error: String(err && err.message || err) });
    db.close();
    process.exit(1);
  }
}, workerData.intervalMs);
parentPort.on("message", (m) => {
  if (m !== "stop") return;
  clearInterval(timer);
  db.close();
  process.exit(0);
});
`;

/**
 * Checkpoints a WAL database from a background thread. A checkpoint copies the pages the WAL
 * holds back into the database file and syncs both to disk; done by the connection that commits
 * (SQLite's default, every 1,000 pages), the thread serving requests stops for it. Here, once
 * the WAL first grows past `startBytes` (so a small or idle database costs no thread), a worker
 * thread with its own connection checkpoints every `intervalMs`, and the connection's own
 * threshold is raised to a safety net. Should the thread fail, checkpoints go back to the
 * connection as before.
 */
export class WalCheckpointer {
  readonly #db: Db;
  readonly #wal: string;
  readonly #opts: Required<Omit<CheckpointerOptions, "onError" | "driver">> &
    Pick<CheckpointerOptions, "onError" | "driver">;
  #watch: NodeJS.Timeout | null = null;
  #worker: Worker | null = null;
  #exited: Promise<void> | null = null;
  #closed = false;

  constructor(db: Db, opts: CheckpointerOptions = {}) {
    this.#db = db;
    this.#wal = `${db.name}-wal`;
    this.#opts = {
      startBytes: opts.startBytes ?? 4 * 1024 * 1024,
      watchMs: opts.watchMs ?? 1000,
      intervalMs: opts.intervalMs ?? 250,
      fallbackPages: opts.fallbackPages ?? 16_384,
      driver: opts.driver,
      onError: opts.onError,
    };
    this.#watch = setInterval(() => void this.#look(), this.#opts.watchMs);
    this.#watch.unref();
  }

  /** Whether the background thread is checkpointing. */
  get running(): boolean {
    return this.#worker !== null;
  }

  async #look(): Promise<void> {
    if (this.#closed || this.#worker) return;
    const size = await stat(this.#wal).then(
      (s) => s.size,
      () => 0,
    );
    if (size >= this.#opts.startBytes && !this.#closed && !this.#worker && this.#db.open) this.#start();
  }

  #start(): void {
    if (this.#watch) clearInterval(this.#watch);
    this.#watch = null;
    const worker = new Worker(THREAD, {
      eval: true,
      workerData: {
        driver: this.#opts.driver ?? createRequire(import.meta.url).resolve("better-sqlite3"),
        file: this.#db.name,
        intervalMs: this.#opts.intervalMs,
      },
    });
    worker.unref();
    this.#worker = worker;
    this.#db.pragma(`wal_autocheckpoint = ${this.#opts.fallbackPages}`);
    this.#exited = new Promise((resolve) => worker.once("exit", () => resolve()));
    const fail = (why: string) => {
      if (this.#worker !== worker) return;
      this.#worker = null;
      if (this.#db.open) this.#db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
      this.#opts.onError?.(new Error(`background checkpoints stopped: ${why}`));
    };
    worker.on("message", (m: { error?: string }) => {
      if (m.error !== undefined) fail(m.error);
    });
    worker.on("error", (err) => fail(err.message));
    worker.once("exit", (code) => {
      if (code !== 0 && !this.#closed) fail(`the thread exited with ${code}`);
    });
  }

  /** Stops the thread (its connection closed first) and the watch. The connection is left open. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#watch) clearInterval(this.#watch);
    this.#watch = null;
    const worker = this.#worker;
    this.#worker = null;
    if (!worker) return;
    worker.postMessage("stop");
    const stopped = await Promise.race([
      this.#exited!.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2000).unref()),
    ]);
    if (!stopped) await worker.terminate();
  }
}
