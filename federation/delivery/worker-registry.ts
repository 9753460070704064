import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { DeliveryQueue, DeliveryWorkerRecord } from "../../server/domain/federation-ports.js";
import type { Logger } from "../../server/services/logger.js";

export interface WorkerRegistryOptions {
  /** This machine's name, as worker records name theirs. Default `os.hostname()`. */
  host?: string;
  /** A worker whose heartbeat is older than this is dead wherever it runs. */
  deadAfterMs: number;
  /** Wall-clock time for records and heartbeats. */
  clock: () => number;
}

/**
 * One delivery worker's record in the store, and the judgement of the others'. A record is made at
 * each start under a new random id; the worker's leases name it. Another worker is dead when its
 * heartbeat is older than `deadAfterMs`, or, on this machine, when its process is gone
 * (`kill(pid, 0)` answers ESRCH) or its pid is ours but its process is not (a restarted container
 * whose first process has the pid the dead one had). A dead worker is forgotten and its leases
 * voided, so what it was sending goes out again at once instead of after its leases run out.
 */
export class WorkerRegistry {
  readonly #queue: DeliveryQueue;
  readonly #logger: Logger;
  readonly #host: string;
  readonly #deadAfterMs: number;
  readonly #clock: () => number;
  /** When this process started: the same for every worker in it, different in any other process. */
  readonly #processStartedAt = Math.round(performance.timeOrigin);
  #id: string | null = null;
  #live = 1;

  constructor(queue: DeliveryQueue, logger: Logger, opts: WorkerRegistryOptions) {
    this.#queue = queue;
    this.#logger = logger;
    this.#host = opts.host ?? hostname();
    this.#deadAfterMs = opts.deadAfterMs;
    this.#clock = opts.clock;
  }

  /** The id of the current registration, or null before `register`. */
  get id(): string | null {
    return this.#id;
  }

  /** Workers alive (this one included) when the others were last judged; at least 1. */
  get live(): number {
    return this.#live;
  }

  /** Counts the workers alive now (see `live`) without forgetting the dead ones. */
  async countLive(): Promise<number> {
    const now = this.#clock();
    const others = (await this.#queue.listWorkers()).filter((w) => w.id !== this.#id && this.deathOf(w, now) === null);
    this.#live = others.length + 1;
    return this.#live;
  }

  /** Registers under a new id. */
  async register(): Promise<string> {
    const id = randomUUID();
    const now = this.#clock();
    await this.#queue.registerWorker(this.#record(id, now));
    this.#id = id;
    return id;
  }

  /** Marks this worker alive; registers it again should another worker have judged it dead. */
  async beat(): Promise<void> {
    const id = this.#id;
    if (id === null) return;
    const now = this.#clock();
    if (!(await this.#queue.heartbeat(id, now))) {
      this.#logger.warn("the delivery worker's record was gone; registering again", { worker: id });
      await this.#queue.registerWorker(this.#record(id, now));
    }
  }

  /** Forgets the dead workers and voids their leases; returns how many leases were voided. */
  async reap(): Promise<number> {
    const now = this.#clock();
    let voided = 0;
    let live = 1;
    for (const w of await this.#queue.listWorkers()) {
      if (w.id === this.#id) continue;
      const why = this.deathOf(w, now);
      if (why === null) {
        live++;
        continue;
      }
      const n = await this.#queue.removeWorker(w.id);
      voided += n;
      this.#logger.info("forgot a dead delivery worker", { worker: w.id, host: w.host, pid: w.pid, why, leases: n });
    }
    this.#live = live;
    return voided;
  }

  /** Removes this worker's record, voiding what leases it still holds. */
  async unregister(): Promise<void> {
    const id = this.#id;
    if (id === null) return;
    this.#id = null;
    await this.#queue.removeWorker(id);
  }

  /** Why a worker counts as dead at `now`, or null while it may be alive. */
  deathOf(w: DeliveryWorkerRecord, now: number): string | null {
    if (now - w.heartbeatAt > this.#deadAfterMs)
      return `no heartbeat for ${Math.round((now - w.heartbeatAt) / 1000)} s`;
    if (w.host !== this.#host) return null;
    if (w.pid === process.pid)
      return w.processStartedAt === this.#processStartedAt ? null : "its pid is now another process";
    try {
      process.kill(w.pid, 0);
      return null;
    } catch (err) {
      // EPERM: a process of another user has the pid; whether it is that worker cannot be told.
      return (err as { code?: unknown }).code === "ESRCH" ? "its process is gone" : null;
    }
  }

  #record(id: string, now: number): DeliveryWorkerRecord {
    return {
      id,
      host: this.#host,
      pid: process.pid,
      processStartedAt: this.#processStartedAt,
      startedAt: now,
      heartbeatAt: now,
    };
  }
}
