import { DomainError } from "../domain/errors.js";

/**
 * Runs at most `concurrency` jobs at once and lets at most `queueLimit` more wait. A job arriving when
 * the waiting line is full is refused at once with DomainError("busy"), so a burst of uploads turns
 * into quick 503s instead of unbounded memory and latency.
 */
export class BoundedQueue {
  #active = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(
    readonly concurrency: number,
    readonly queueLimit: number,
    private readonly busyMessage = "The server is busy; try again in a moment.",
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new RangeError("concurrency must be a positive integer");
    if (!Number.isInteger(queueLimit) || queueLimit < 0)
      throw new RangeError("queueLimit must be a non-negative integer");
  }

  /** Jobs running now. */
  get active(): number {
    return this.#active;
  }

  /** Jobs accepted and waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Jobs accepted and not finished: running plus waiting. */
  get pending(): number {
    return this.#active + this.#waiting.length;
  }

  run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#active < this.concurrency) {
      this.#active++;
      return this.#execute(job);
    }
    if (this.#waiting.length >= this.queueLimit) {
      return Promise.reject(new DomainError("busy", this.busyMessage));
    }
    return new Promise<void>((resolve) => this.#waiting.push(resolve)).then(() => this.#execute(job));
  }

  async #execute<T>(job: () => Promise<T>): Promise<T> {
    try {
      return await job();
    } finally {
      // The slot passes straight to the next waiter, so `active` never dips and a newcomer cannot jump the line.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    }
  }
}
