import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { contentPolicy, NON_TEXT_TAGS, sanitizeWithText, withText } from "./sanitize.js";

/** Bodies larger than this are sanitized in place: copying them to a thread and back costs more. */
const MAX_THREADED_LENGTH = 64 * 1024;

export interface SanitizerOptions {
  /** Sanitize on a thread of its own; false: in the calling thread. Default: where there are several cores. */
  thread?: boolean;
  /** The sanitize-html module the threads load (the one this process uses, by default). */
  lib?: string;
  /** Told when a thread fails and sanitizing goes back to the calling thread. */
  onError?: (err: Error) => void;
}

/** One body sent to the thread, and its answer: the clean HTML, or why there is none. */
type Job = [id: number, html: string];
type Answer = [id: number, clean: string | null, error: string | null];

/*
 * The body of a sanitizer thread: the same policy function as the calling thread's (its source),
 * applied to each `[id, html]` of a batch it is sent, answering the batch's `[id, clean, error]`s
 * in one message.
 */
function threadSource(): string {
  return `
const { parentPort, workerData } = require("node:worker_threads");
const sanitize = (${contentPolicy.toString()})(require(workerData.lib), workerData.nonTextTags);
parentPort.on("message", (jobs) => {
  const answers = [];
  for (const [id, html] of jobs) {
    let clean = null;
    let error = null;
    try {
      clean = sanitize(html);
    } catch (err) {
      error = String((err && err.message) || err);
    }
    answers.push([id, clean, error]);
  }
  parentPort.postMessage(answers);
});
`;
}

interface Waiting {
  html: string;
  resolve: (v: { html: string; text: string }) => void;
  reject: (err: unknown) => void;
}

/**
 * Sanitizes remote post bodies (`sanitizeWithText`) on a worker thread. Sanitizing HTML is the
 * largest piece of work the inbox does per post, and all of it (parsing, the allowlist, the garbage
 * it leaves) would otherwise fall on the thread that answers every request; here the thread only
 * sends the body and reads the text off the answer. The thread starts on first use. Should it
 * fail, whatever it held and everything after is sanitized in the calling thread, with the same
 * policy (the thread runs that very function's source). One per inbox: nothing is shared between
 * instances in one process.
 *
 * The bodies that arrive in one turn of the event loop go to the thread as one message, answered
 * by one: a message costs both threads far more than a short body's sanitizing, and an inbox under
 * load receives several activities per turn.
 */
export class SanitizerThreads {
  readonly #useThread: boolean;
  readonly #lib: string | undefined;
  readonly #onError: ((err: Error) => void) | undefined;
  #worker: Worker | null = null;
  #failed = false;
  #closed = false;
  #next = 0;
  readonly #waiting = new Map<number, Waiting>();
  /** Bodies of this turn not yet sent to the thread. */
  #batch: Job[] = [];
  #sending: NodeJS.Immediate | null = null;

  constructor(opts: SanitizerOptions = {}) {
    this.#useThread = opts.thread ?? availableParallelism() > 1;
    this.#lib = opts.lib;
    this.#onError = opts.onError;
  }

  /** Whether bodies currently go to a thread. */
  get threaded(): boolean {
    return this.#worker !== null;
  }

  /** The body as a post may hold it and its text, as `sanitizeWithText` gives them. */
  sanitizeWithText(html: string): Promise<{ html: string; text: string }> {
    const worker = html.length <= MAX_THREADED_LENGTH ? this.#thread() : null;
    if (worker === null) {
      try {
        return Promise.resolve(sanitizeWithText(html));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { html, resolve, reject });
      if (this.#waiting.size === 1) worker.ref();
      this.#batch.push([id, html]);
      this.#sending ??= setImmediate(() => this.#send(worker));
    });
  }

  /** Sends the turn's bodies to the thread they were queued for, unless it has failed since. */
  #send(worker: Worker): void {
    this.#sending = null;
    const batch = this.#batch;
    this.#batch = [];
    if (this.#worker !== worker || batch.length === 0) return;
    worker.postMessage(batch);
  }

  #thread(): Worker | null {
    if (this.#worker) return this.#worker;
    if (!this.#useThread || this.#failed || this.#closed) return null;
    const worker = new Worker(threadSource(), {
      eval: true,
      workerData: {
        lib: this.#lib ?? createRequire(import.meta.url).resolve("sanitize-html"),
        nonTextTags: NON_TEXT_TAGS,
      },
    });
    worker.unref();
    worker.on("message", (answers: Answer[]) => {
      for (const [id, clean, error] of answers) {
        const w = this.#waiting.get(id);
        if (!w) continue;
        this.#waiting.delete(id);
        if (clean === null) w.reject(new Error(`sanitizing failed: ${error ?? "no answer"}`));
        else w.resolve(withText(clean));
      }
      if (this.#waiting.size === 0) worker.unref();
    });
    worker.on("error", (err) => this.#fail(worker, err.message));
    worker.on("exit", (code) => {
      if (!this.#closed) this.#fail(worker, `the thread exited with ${code}`);
    });
    this.#worker = worker;
    return worker;
  }

  /** Back to the calling thread for good; what the thread held is sanitized here. */
  #fail(worker: Worker, why: string): void {
    if (this.#worker !== worker) return;
    this.#worker = null;
    this.#failed = true;
    void worker.terminate();
    this.#onError?.(new Error(`sanitizer thread stopped: ${why}`));
    this.#settleHere();
  }

  #settleHere(): void {
    if (this.#sending) clearImmediate(this.#sending);
    this.#sending = null;
    this.#batch = [];
    for (const [id, w] of this.#waiting) {
      this.#waiting.delete(id);
      try {
        w.resolve(sanitizeWithText(w.html));
      } catch (err) {
        w.reject(err);
      }
    }
  }

  /** Stops the thread; anything still waiting is sanitized here first. */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = null;
    this.#settleHere();
    if (worker) await worker.terminate();
  }
}
