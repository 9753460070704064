import type { InstanceRepository, InstanceSoftware } from "../../server/domain/federation-ports.js";
import type { Services } from "../../server/services/container.js";
import type { Logger } from "../../server/services/logger.js";
import type { GuardedFetch } from "../http/guarded-fetch.js";
import { fetchNodeInfo, NODEINFO_TIMEOUT_MS, type NodeInfoSoftware } from "../remote/nodeinfo.js";
import { inboxDomain } from "./activities.js";
import { classifySoftware, type PeerKind } from "./software.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Asks the server at an origin (scheme, host, port) what it runs; rejects when it cannot tell. */
export type SoftwareLookup = (origin: string) => Promise<NodeInfoSoftware>;

export interface PeerSoftwareOptions {
  /** "Now" for the records and their ages. Default Date.now. */
  clock?: () => number;
  /** A domain whose last lookup failed is not asked again before this long. Default 24 h. */
  retryAfterMs?: number;
  /** A domain whose software is known is asked again (in the background) after this long. Default 7 days. */
  refreshAfterMs?: number;
  /** How long a record read from the store is used before it is read again. Default 10 min. */
  memoryMs?: number;
  /** Domains kept in memory; the least recently stored go first. Default 10,000. */
  maxEntries?: number;
  /** Lookups in flight at once. Default 16. */
  concurrency?: number;
  /** The longest a fan-out that waits waits for the domains never asked before. Default 5.5 s. */
  waitMs?: number;
}

/** An inbox of a fan-out, as the publisher has it. */
export interface PeerInbox {
  inbox: string;
  /** Its lowercase host: what records are keyed on. */
  domain: string;
}

interface Remembered {
  record: InstanceSoftware;
  readAt: number;
}

/**
 * The software of the instances a board delivers to, for choosing per inbox what to send (see
 * software.ts). Records live in the store (`instances`), so every process and every restart shares
 * them, and the records in use are kept in memory, so the inbox's fan-out of each accepted remote
 * post costs no query. A domain is asked (NodeInfo, through the guarded client) when a follower on
 * it appears and when a fan-out meets it unrecorded; a failure is recorded too, and the domain is
 * not asked again for a day; a known software is asked again after a week, in the background.
 * Lookups run `concurrency` at a time, one per domain however many callers want it, and never
 * throw: what cannot be learnt is `unknown`, which gets every activity.
 */
export class PeerSoftware {
  readonly #store: InstanceRepository;
  readonly #lookup: SoftwareLookup;
  readonly #logger: Logger;
  readonly #clock: () => number;
  readonly #retryAfterMs: number;
  readonly #refreshAfterMs: number;
  readonly #memoryMs: number;
  readonly #maxEntries: number;
  readonly #concurrency: number;
  readonly #waitMs: number;
  readonly #memory = new Map<string, Remembered>();
  readonly #inFlight = new Map<string, Promise<InstanceSoftware | null>>();
  readonly #slots: Array<() => void> = [];
  #running = 0;

  constructor(store: InstanceRepository, lookup: SoftwareLookup, logger: Logger, opts: PeerSoftwareOptions = {}) {
    this.#store = store;
    this.#lookup = lookup;
    this.#logger = logger;
    this.#clock = opts.clock ?? Date.now;
    this.#retryAfterMs = opts.retryAfterMs ?? DAY;
    this.#refreshAfterMs = opts.refreshAfterMs ?? 7 * DAY;
    this.#memoryMs = opts.memoryMs ?? 10 * MINUTE;
    this.#maxEntries = Math.max(1, opts.maxEntries ?? 10_000);
    this.#concurrency = Math.max(1, opts.concurrency ?? 16);
    this.#waitMs = opts.waitMs ?? NODEINFO_TIMEOUT_MS + 500;
  }

  /** The usual lookup: NodeInfo through the instance's guarded client. */
  static nodeInfo(http: Pick<GuardedFetch, "request">): SoftwareLookup {
    return (origin) => fetchNodeInfo(http, origin);
  }

  /**
   * The kind of software behind each inbox's domain. Domains never asked before are asked now; with
   * `wait`, the answer waits for those lookups (at most `waitMs`: what has not answered by then is
   * `unknown` this time), without, they are `unknown` this time and are learnt for the next fan-out.
   * Records due for another lookup are used as they are while it runs in the background. Never
   * throws: a store failure makes every domain `unknown`.
   */
  async kindsOf(inboxes: readonly PeerInbox[], opts: { wait: boolean }): Promise<Map<string, PeerKind>> {
    const origins = new Map<string, string>();
    for (const { inbox, domain } of inboxes) {
      if (!origins.has(domain)) origins.set(domain, originOf(inbox));
    }
    const now = this.#clock();
    // What this fan-out goes by: records in memory, else in the store, else learnt now.
    const records = new Map<string, InstanceSoftware>();
    const toRead: string[] = [];
    for (const domain of origins.keys()) {
      const m = this.#memory.get(domain);
      if (m && now - m.readAt <= this.#memoryMs) records.set(domain, m.record);
      else toRead.push(domain);
    }
    if (toRead.length > 0) {
      let read: InstanceSoftware[];
      try {
        read = await this.#store.getMany(toRead);
      } catch (err) {
        this.#logger.warn("could not read the software of follower instances", { err });
        return new Map([...origins.keys()].map((d) => [d, "unknown" as const]));
      }
      for (const record of read) {
        records.set(record.domain, record);
        this.#remember(record, now);
      }
    }
    const firstLookups: Array<Promise<void>> = [];
    for (const [domain, origin] of origins) {
      const record = records.get(domain);
      if (!record) {
        firstLookups.push(
          this.#lookUp(domain, origin).then((learnt) => {
            if (learnt) records.set(domain, learnt);
          }),
        );
      } else if (this.#due(record, now)) {
        void this.#lookUp(domain, origin);
      }
    }
    if (opts.wait && firstLookups.length > 0) await this.#bounded(Promise.all(firstLookups));
    const kinds = new Map<string, PeerKind>();
    // A lookup that ends after the wait still fills `records`; what the answer reports is fixed here.
    for (const domain of origins.keys()) kinds.set(domain, classifySoftware(records.get(domain)?.software));
    return kinds;
  }

  /**
   * Learns the software behind `inbox` unless it is recorded and not due for another lookup: for a
   * new follower, so that the first fan-out to it need not wait. Resolves when done; never rejects.
   */
  async learn(inbox: string): Promise<void> {
    try {
      const domain = inboxDomain(inbox);
      if (domain === null) return;
      const now = this.#clock();
      const m = this.#memory.get(domain);
      const record = m && now - m.readAt <= this.#memoryMs ? m.record : await this.#store.get(domain);
      if (record) {
        this.#remember(record, now);
        if (!this.#due(record, now)) return;
      }
      await this.#lookUp(domain, originOf(inbox));
    } catch (err) {
      this.#logger.warn("could not learn the software of a follower's instance", { err });
    }
  }

  /** Resolves once no lookup is running (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight.values()]);
  }

  #due(record: InstanceSoftware, now: number): boolean {
    const age = now - record.fetchedAt;
    return record.lastError !== null ? age >= this.#retryAfterMs : age >= this.#refreshAfterMs;
  }

  #remember(record: InstanceSoftware, now: number): void {
    this.#memory.delete(record.domain);
    this.#memory.set(record.domain, { record, readAt: now });
    while (this.#memory.size > this.#maxEntries) {
      const oldest = this.#memory.keys().next().value;
      if (oldest === undefined) break;
      this.#memory.delete(oldest);
    }
  }

  /**
   * One lookup per domain at a time; the outcome, success or failure, is recorded and resolved
   * (null when even recording it failed). Never rejects.
   */
  #lookUp(domain: string, origin: string): Promise<InstanceSoftware | null> {
    const running = this.#inFlight.get(domain);
    if (running) return running;
    const work = (async (): Promise<InstanceSoftware | null> => {
      await this.#slot();
      try {
        let found: NodeInfoSoftware | null = null;
        let error = "";
        try {
          found = await this.#lookup(origin);
        } catch (err) {
          error = err instanceof Error ? err.message : String(err);
        }
        const now = this.#clock();
        const record = found
          ? await this.#store.recordSoftware(domain, found.name, found.version, now)
          : await this.#store.recordFailure(domain, error || "the lookup failed", now);
        this.#remember(record, now);
        this.#logger.debug("learnt the software of an instance", {
          domain,
          software: record.software,
          error: record.lastError,
        });
        return record;
      } catch (err) {
        this.#logger.warn("could not record the software of an instance", { domain, err });
        return null;
      } finally {
        this.#release();
      }
    })().finally(() => this.#inFlight.delete(domain));
    this.#inFlight.set(domain, work);
    return work;
  }

  async #slot(): Promise<void> {
    if (this.#running < this.#concurrency) {
      this.#running++;
      return;
    }
    await new Promise<void>((resolve) => this.#slots.push(resolve));
  }

  #release(): void {
    const next = this.#slots.shift();
    if (next) next();
    else this.#running--;
  }

  async #bounded(work: Promise<unknown>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#waitMs);
      timer.unref();
    });
    try {
      await Promise.race([work.then(() => {}), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The origin NodeInfo is asked at for an inbox: its scheme, host and port. */
function originOf(inbox: string): string {
  try {
    return new URL(inbox).origin;
  } catch {
    return "";
  }
}

/**
 * For the inbox's Follow handler: learns the software of a new follower's instance (see
 * `PeerSoftware.learn`), through the instance's guarded client, so that the first fan-out to it
 * already knows what to send. Meant to run off the response path: the caller does not await it.
 * Never rejects.
 */
export function learnFollowerSoftware(
  deps: { s: Pick<Services, "store" | "logger" | "clock">; http: Pick<GuardedFetch, "request"> },
  inbox: string,
): Promise<void> {
  const { s } = deps;
  const peers = new PeerSoftware(s.store.federation.instances, PeerSoftware.nodeInfo(deps.http), s.logger, {
    clock: s.clock,
  });
  return peers.learn(inbox);
}
