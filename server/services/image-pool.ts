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

interface Job {
  request: ImageRequest;
  resolve: (image: ProcessedImage) => void;
  reject: (err: unknown) => void;
}

interface Slot {
  worker: ChildProcess;
  /** Sent and not answered, oldest first: the worker makes the first while the others wait in it. */
  jobs: Job[];
}

/**
 * Uploads a worker holds at once: the one it works on and the next, already sent, so that moving the
 * bytes between processes overlaps image work instead of leaving the worker idle between uploads.
 */
export const IMAGES_PER_WORKER = 2;

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
 * A fixed number of worker processes doing image work, one upload each at a time (with the next one
 * sent ahead), at a lower priority than the server; the caller bounds what is sent (ImageProcessor's
 * queue) to IMAGES_PER_WORKER per worker. A worker that dies is replaced: the upload it was making
 * fails as an error, never silently, and those it had not started go to its replacement. Belongs to
 * one instance: `close` ends its processes.
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
    const id = this.#nextId++;
    return new Promise<ProcessedImage>((resolve, reject) => {
      this.#send({ request: { id, input, job }, resolve, reject });
    });
  }

  #send(job: Job): void {
    // An idle worker first, then a new one (workers start with the first uploads that need them: an
    // instance that never sees one starts none), then one with room for a next upload.
    let slot = this.#slots.find((s) => s.jobs.length === 0);
    if (!slot && this.#slots.length < this.#size) {
      slot = this.#start();
      this.#slots.push(slot);
    }
    slot ??= this.#slots.find((s) => s.jobs.length < IMAGES_PER_WORKER);
    if (!slot) {
      job.reject(new Error("image pool overcommitted: more jobs than workers can hold"));
      return;
    }
    slot.jobs.push(job);
    ref(slot.worker);
    slot.worker.send(job.request);
  }

  /** Ends every worker; uploads still in a worker fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const slots = this.#slots.splice(0);
    await Promise.all(slots.map((s) => stop(s.worker)));
    for (const s of slots)
      for (const job of s.jobs) job.reject(new DomainError("busy", "The server is shutting down."));
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
    const slot: Slot = { worker, jobs: [] };
    worker.on("message", (message: unknown) => {
      const reply = message as ImageReply;
      // The worker answers in the order it was sent uploads.
      const job = slot.jobs[0];
      if (!job || job.request.id !== reply.id) return;
      slot.jobs.shift();
      if (slot.jobs.length === 0) unref(slot.worker);
      if (reply.ok) job.resolve(revive(reply.image));
      else job.reject(reply.kind ? new DomainError(reply.kind, reply.message) : new Error(reply.message));
    });
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      const [current, ...unstarted] = slot.jobs.splice(0);
      current?.reject(this.#closed ? new DomainError("busy", "The server is shutting down.") : err);
      // An error other than its exit (a message it could not be sent) leaves no worker behind either.
      if (worker.exitCode === null && worker.signalCode === null) worker.kill("SIGKILL");
      const at = this.#slots.indexOf(slot);
      if (at >= 0) this.#slots.splice(at, 1);
      // The uploads it had not begun are not lost with it: a replacement (or another worker) takes them.
      for (const job of unstarted) {
        if (this.#closed) job.reject(new DomainError("busy", "The server is shutting down."));
        else this.#send(job);
      }
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
