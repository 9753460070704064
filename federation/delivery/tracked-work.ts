import type { Logger } from "../../server/services/logger.js";

/**
 * Work started from an event and not awaited by whoever emitted it (queuing the activities an act
 * federates): kept until settled, so a close or a test can wait for it; a failure is logged with
 * `failure`, never thrown into the emitter.
 */
export class TrackedWork {
  readonly #pending = new Set<Promise<void>>();

  constructor(
    private readonly logger: Logger,
    private readonly failure: string,
  ) {}

  track(work: Promise<unknown>): void {
    const p: Promise<void> = work
      .then(
        () => {},
        (err: unknown) => this.logger.error(this.failure, { err }),
      )
      .finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  /** Resolves once everything tracked so far (and anything it started) has settled. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }
}
