import type { Services } from "../../server/services/container.js";
import { InboxRefusal } from "../inbox/errors.js";
import type { Inbox } from "../inbox/inbox.js";
import { type NormalizedCollection, normalizeActor, normalizeDocument } from "../vocab/normalize.js";
import type { RemoteActors } from "./actors.js";
import { RemoteError } from "./errors.js";
import { fetchDocument, type SignedGetter, sameOrigin, short } from "./fetch.js";

/** The most outbox items one catch-up reads. */
export const BACKFILL_MAX_ITEMS = 300;
/** A catch-up stops reading back after this many items in a row that are here already. */
export const BACKFILL_KNOWN_RUN = 60;
/** Outbox pages one catch-up reads at most (a page may carry no usable item). */
const MAX_PAGES = 40;

export interface BackfillResult {
  /** Outbox items read. */
  read: number;
  /** Items that were not here and were handed to the inbox. */
  missing: number;
  /** Of those, taken now; the rest were ignored, refused, or kept for a later try. */
  taken: number;
}

/**
 * A mirror catching up: reads a followed group's outbox back from the newest item (through the
 * guarded client, page after page on the group's own origin) until it meets a run of items it
 * holds already or reads BACKFILL_MAX_ITEMS, then hands what it missed to the inbox, oldest
 * first, as if the group had just announced it. The fetch from the group's origin vouches for the
 * group's own activities (the inbox still screens each one and reads third-party posts from their
 * origins). Runs after a follow is accepted, when a peer that was unreachable answers again, and
 * when a worker process starts, so a mirror heals after any gap, whichever side caused it.
 */
export class Backfill {
  readonly #queue = new Set<string>();
  #running: Promise<void> | null = null;
  #closed = false;

  constructor(
    private readonly s: Pick<Services, "store" | "logger" | "clock" | "config">,
    private readonly http: SignedGetter,
    private readonly actors: RemoteActors,
    private readonly inbox: Inbox,
  ) {}

  /** Catches up with a group in the background (each group once in the queue, one at a time). */
  schedule(groupId: string): void {
    if (this.#closed) return;
    this.#queue.add(groupId);
    this.#running ??= this.#drain().finally(() => {
      this.#running = null;
    });
  }

  /** Catches up with every group a board follows (accepted), or those on one domain. */
  async scheduleFollowed(domain?: string): Promise<number> {
    let n = 0;
    for (const board of await this.s.store.boards.list()) {
      for (const f of await this.s.store.federation.follows.followingOf(board.uri)) {
        if (f.state !== "accepted" || (domain !== undefined && f.domain !== domain)) continue;
        this.schedule(f.objectId);
        n++;
      }
    }
    return n;
  }

  /** Stops taking work and waits for the catch-up under way. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#queue.clear();
    await this.#running;
  }

  /** Resolves once nothing is queued or running. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #drain(): Promise<void> {
    for (;;) {
      const next = this.#queue.values().next();
      if (next.done || this.#closed) return;
      this.#queue.delete(next.value);
      try {
        const result = await this.fromGroup(next.value);
        this.s.logger.info("caught up with a followed group", { group: next.value, ...result });
      } catch (err) {
        this.s.logger.warn("could not catch up with a followed group", { group: next.value, err });
      }
    }
  }

  /** Reads the group's outbox back and hands what is missing here to the inbox (see the class). */
  async fromGroup(groupId: string): Promise<BackfillResult> {
    const outbox = await this.#outboxOf(groupId);
    const missing: Record<string, unknown>[] = [];
    let read = 0;
    let knownRun = 0;
    let page: Page | null = await this.#collection(outbox, groupId);
    // The first page of a paged collection (the collection itself when its items are inline).
    const first = page.doc.first;
    if (first !== undefined) {
      page =
        typeof first === "string"
          ? await this.#collection(first, groupId)
          : { doc: first, raw: (page.raw as Record<string, unknown> | null)?.["first"] };
    }
    let pages = 0;
    while (page && read < BACKFILL_MAX_ITEMS && knownRun < BACKFILL_KNOWN_RUN && pages++ < MAX_PAGES) {
      for (const item of rawItems(page.raw)) {
        if (read >= BACKFILL_MAX_ITEMS || knownRun >= BACKFILL_KNOWN_RUN) break;
        read++;
        if (await this.#known(item)) knownRun++;
        else {
          knownRun = 0;
          missing.push(item);
        }
      }
      page = page.doc.next === undefined ? null : await this.#collection(page.doc.next, groupId);
    }
    let taken = 0;
    for (const item of missing.reverse()) {
      if (this.#closed) break;
      try {
        if ((await this.inbox.takeFetched(item, groupId)).outcome === "accepted") taken++;
      } catch (err) {
        if (!(err instanceof InboxRefusal)) throw err;
        this.s.logger.debug("a group's outbox item is refused", {
          group: groupId,
          id: item["id"],
          reason: err.message,
        });
      }
    }
    return { read, missing: missing.length, taken };
  }

  async #outboxOf(groupId: string): Promise<string> {
    const actor = await this.actors.get(groupId);
    let raw: unknown;
    try {
      raw = JSON.parse(actor.raw);
    } catch {
      raw = null;
    }
    const doc = normalizeActor(raw);
    const outbox = doc.ok ? doc.outbox : undefined;
    if (outbox === undefined || !sameOrigin(outbox, groupId)) {
      throw new RemoteError("invalid", `${short(groupId)} has no outbox on its own origin.`);
    }
    return outbox;
  }

  /** A collection or page, fetched from the group's own origin (after redirects too). */
  async #collection(url: string, groupId: string): Promise<Page> {
    if (!sameOrigin(url, groupId)) throw new RemoteError("mismatch", `${short(url)} is not on the group's origin.`);
    const fetched = await fetchDocument(this.http, url);
    if (!sameOrigin(fetched.url, groupId)) {
      throw new RemoteError("mismatch", `${short(url)} was served from another origin.`);
    }
    const doc = normalizeDocument(fetched.json);
    if (!doc.ok || doc.kind !== "collection") throw new RemoteError("invalid", `${short(url)} is not a collection.`);
    return { doc, raw: fetched.json };
  }

  /** Whether an outbox item (or the post it is about) is here already. */
  async #known(item: Record<string, unknown>): Promise<boolean> {
    const { inboxDedupe, remotePosts } = this.s.store.federation;
    const id = item["id"];
    if (typeof id === "string" && (await inboxDedupe.has(id, this.s.clock()))) return true;
    const post = postIdOf(item);
    if (post === null) return false;
    if (post.startsWith(`${this.s.config.publicUrl}/`)) return true;
    return (await remotePosts.get(post)) !== null;
  }
}

/** A collection page: what the normaliser read of it, and its JSON as received. */
interface Page {
  doc: NormalizedCollection;
  raw: unknown;
}

/** The items of a page as received (activities only: bare ids are not followed). */
function rawItems(raw: unknown): Record<string, unknown>[] {
  if (raw === null || typeof raw !== "object") return [];
  const page = raw as Record<string, unknown>;
  const list = page["orderedItems"] ?? page["items"];
  const items = Array.isArray(list) ? list : list === undefined ? [] : [list];
  return items.filter((i): i is Record<string, unknown> => i !== null && typeof i === "object" && !Array.isArray(i));
}

/** The id of the post an Announce (of a Create, or of the post itself) is about, or null. */
function postIdOf(item: Record<string, unknown>): string | null {
  const idOf = (v: unknown): string | null =>
    typeof v === "string" ? v : v !== null && typeof v === "object" ? idOf((v as { id?: unknown }).id) : null;
  const object = item["object"];
  if (object !== null && typeof object === "object" && !Array.isArray(object)) {
    const inner = (object as Record<string, unknown>)["object"];
    return inner === undefined ? idOf(object) : idOf(inner);
  }
  return idOf(object);
}
