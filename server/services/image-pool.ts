import { type ChildProcess, fork, type SpawnOptions, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { setPriority } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DomainErrorKind } from "../domain/errors.js";
import { DomainError } from "../domain/errors.js";
import { projectRoot } from "../paths.js";
import type { ProcessedImage, TransformJob } from "./image-transform.js";

/** What each image worker is started with. */
export interface ImageWorkerSettings {
  /** libvips threads per image. */
  vipsThreads: number;
}

/**
 * Where the idle scheduling class is missing, the workers' niceness: under contention the kernel
 * favours the request thread, though less strictly.
 */
const WORKER_NICENESS = 10;

/**
 * Whether image workers can run in Linux's idle scheduling class (SCHED_IDLE, through util-linux's
 * `chrt`). Niceness alone is not enough on a machine with two cores: the request thread and its
 * clients wake each other and get placed on one core, while a niced worker keeps the other to itself
 * (measured: the request thread waited for a core 36 % of the time, and pages fell to a third while
 * uploads ran). A core running only idle-class work counts as free, so a woken request thread takes it
 * at once, and image work gets what is left over.
 */
function idleClassWorks(): boolean {
  if (process.platform !== "linux") return false;
  try {
    return spawnSync("chrt", ["--idle", "0", "true"], { stdio: "ignore", timeout: 5000 }).status === 0;
  } catch {
    return false;
  }
}

/** One upload sent to a worker; the bytes are copied, so the caller's buffer stays usable. */
export interface ImageRequest {
  id: number;
  input: Uint8Array;
  job: Omit<TransformJob, "input">;
}

export type ImageReply =
  | { id: number; ok: true; image: ProcessedImage }
  | { id: number; ok: false; kind: DomainErrorKind | null; message: string };

interface Slot {
  worker: ChildProcess;
  job: { id: number; resolve: (image: ProcessedImage) => void; reject: (err: unknown) => void } | null;
}

/**
 * The compiled worker script. From dist/ it sits beside this module; from the TypeScript sources
 * (tests) the built copy in dist/ is used, since a worker runs JavaScript only.
 */
export function imageWorkerScript(): string {
  const here = fileURLToPath(import.meta.url);
  const script = here.endsWith(".js")
    ? join(dirname(here), "image-worker.js")
    : join(projectRoot(), "dist", "server", "services", "image-worker.js");
  if (!existsSync(script)) throw new Error(`${script} is missing: run npm run build`);
  return script;
}

/**
 * A fixed number of worker processes doing image work, one upload each at a time, at a lower
 * priority than the server; the caller bounds what is sent (ImageProcessor's queue), so jobs here
 * never wait for a worker. A worker that dies is replaced and its upload fails as an error, never
 * silently. Belongs to one instance: `close` ends its processes.
 */
export class ImagePool {
  readonly #slots: Slot[] = [];
  readonly #size: number;
  readonly #settings: ImageWorkerSettings;
  readonly #script: string;
  #nextId = 1;
  #closed = false;
  /** Whether workers start in the idle scheduling class; found out when the first one starts. */
  #idle: boolean | undefined;

  constructor(size: number, settings: ImageWorkerSettings) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError("size must be a positive integer");
    this.#size = size;
    this.#settings = settings;
    this.#script = imageWorkerScript();
  }

  /** Worker processes running now (started on demand, at most the pool's size). */
  get workers(): number {
    return this.#slots.length;
  }

  /** Their process ids. */
  get pids(): number[] {
    return this.#slots.flatMap((s) => (s.worker.pid === undefined ? [] : [s.worker.pid]));
  }

  run(input: Buffer, job: Omit<TransformJob, "input">): Promise<ProcessedImage> {
    if (this.#closed) return Promise.reject(new DomainError("busy", "The server is shutting down."));
    // Workers start with the first uploads that need them: an instance that never sees one starts none.
    let slot = this.#slots.find((s) => s.job === null);
    if (!slot && this.#slots.length < this.#size) {
      slot = this.#start();
      this.#slots.push(slot);
    }
    if (!slot) return Promise.reject(new Error("image pool overcommitted: more jobs than workers"));
    const id = this.#nextId++;
    return new Promise<ProcessedImage>((resolve, reject) => {
      slot.job = { id, resolve, reject };
      ref(slot.worker);
      const request: ImageRequest = { id, input, job };
      slot.worker.send(request);
    });
  }

  /** Ends every worker; uploads still in a worker fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const slots = this.#slots.splice(0);
    await Promise.all(slots.map((s) => stop(s.worker)));
    for (const s of slots) s.job?.reject(new DomainError("busy", "The server is shutting down."));
  }

  #start(): Slot {
    this.#idle ??= idleClassWorks();
    const env = { ...process.env, ATOLL_IMAGE_WORKER: JSON.stringify(this.#settings) };
    // Advanced serialisation sends the image bytes as they are, not as JSON arrays of numbers.
    const options: SpawnOptions = { serialization: "advanced", stdio: ["ignore", "inherit", "inherit", "ipc"], env };
    // chrt execs node in place, so the worker's pid is node's and every thread it starts (libvips'
    // included) inherits the idle class.
    const worker = this.#idle
      ? spawn("chrt", ["--idle", "0", process.execPath, this.#script], options)
      : fork(this.#script, [], { ...options, execArgv: [] });
    if (!this.#idle && worker.pid !== undefined) {
      try {
        setPriority(worker.pid, WORKER_NICENESS);
      } catch {
        // A system that refuses leaves the workers at the server's priority; they still work.
      }
    }
    // An idle worker does not keep the process alive; one with an upload does.
    unref(worker);
    const slot: Slot = { worker, job: null };
    worker.on("message", (message: unknown) => {
      const reply = message as ImageReply;
      const job = slot.job;
      if (!job || job.id !== reply.id) return;
      slot.job = null;
      unref(slot.worker);
      if (reply.ok) job.resolve(revive(reply.image));
      else job.reject(reply.kind ? new DomainError(reply.kind, reply.message) : new Error(reply.message));
    });
    const fail = (err: Error) => {
      const job = slot.job;
      slot.job = null;
      job?.reject(err);
      const at = this.#slots.indexOf(slot);
      if (at < 0 || this.#closed) return;
      // Started again with the next upload that needs it.
      this.#slots.splice(at, 1);
    };
    worker.on("error", fail);
    worker.on("exit", (code, signal) => fail(new Error(`image worker exited (${signal ?? code})`)));
    return slot;
  }
}

function unref(worker: ChildProcess): void {
  worker.unref();
  worker.channel?.unref();
}

function ref(worker: ChildProcess): void {
  worker.ref();
  worker.channel?.ref();
}

/** Ends a worker and waits until it is gone. */
async function stop(worker: ChildProcess): Promise<void> {
  if (worker.exitCode !== null || worker.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  worker.kill("SIGKILL");
  await gone;
}

/** Buffers arrive from a worker as plain Uint8Arrays; the rest of the server expects Buffers. */
function revive(image: ProcessedImage): ProcessedImage {
  const buf = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  return { ...image, original: buf(image.original), thumb: buf(image.thumb) };
}
