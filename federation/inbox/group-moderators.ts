import type { Clock } from "../../server/services/clock.js";
import { RemoteError } from "../remote/errors.js";
import { fetchDocument, type SignedGetter, sameId, sameOrigin, short } from "../remote/fetch.js";
import { normalizeCollection } from "../vocab/normalize.js";

/** How long a group's moderators are believed without asking its server again. */
const FRESH_MS = 60 * 60_000;
/** An actor not listed makes the list be read again, at most this often per group (a new moderator). */
const RECHECK_MS = 60_000;
/** Most groups whose moderators are kept in memory; the oldest read goes first. */
const MAX_GROUPS = 500;
/** Most moderators read from one group, and most collection pages followed. */
const MAX_MODERATORS = 1000;
const MAX_PAGES = 5;

/** What a group says about who moderates it, as read from its server. */
export interface GroupStaff {
  moderators: ReadonlySet<string>;
  /** The collection listing them (Lemmy's `attributedTo`, Mbin's and PieFed's `moderators`), if any. */
  moderatorsCollection: string | null;
  /** The collection of its pinned posts, if any. */
  featured: string | null;
}

interface Entry extends GroupStaff {
  readAt: number;
}

/**
 * The moderators of the groups our boards follow, read through the guarded client from the group's
 * own document and collection, and kept for an hour. A Lemmy group names the collection in
 * `attributedTo`, Mbin and PieFed in `moderators`; only a collection on the group's own server is
 * read, since only the group's server can say who moderates it. The list is read again when the
 * group announces a change to it, and (at most once a minute) when an actor it does not list acts,
 * so a moderator appointed while the announcement was missed is not refused for an hour.
 */
export class GroupModerators {
  readonly #groups = new Map<string, Entry>();
  readonly #reading = new Map<string, Promise<Entry>>();

  constructor(
    private readonly http: SignedGetter,
    private readonly clock: Clock,
  ) {}

  /** Whether `actorId` may moderate `groupId`: the group itself, or one of its listed moderators. */
  async isModerator(groupId: string, actorId: string): Promise<boolean> {
    if (sameId(groupId, actorId)) return true;
    const now = this.clock();
    let entry = this.#groups.get(groupId);
    if (!entry || now - entry.readAt >= FRESH_MS || now < entry.readAt) entry = await this.read(groupId);
    if (entry.moderators.has(actorId)) return true;
    if (now - entry.readAt < RECHECK_MS) return false;
    entry = await this.read(groupId);
    return entry.moderators.has(actorId);
  }

  /** The group's staff, from memory when fresh. */
  async staff(groupId: string): Promise<GroupStaff> {
    const entry = this.#groups.get(groupId);
    const now = this.clock();
    return entry && now - entry.readAt < FRESH_MS && now >= entry.readAt ? entry : this.read(groupId);
  }

  /** Forgets what is known of the group: its moderators changed. */
  forget(groupId: string): void {
    this.#groups.delete(groupId);
  }

  /** Reads the group's moderators now; concurrent reads of one group share one fetch. */
  private read(groupId: string): Promise<Entry> {
    const pending = this.#reading.get(groupId);
    if (pending) return pending;
    const reading = this.fetchStaff(groupId).finally(() => this.#reading.delete(groupId));
    this.#reading.set(groupId, reading);
    return reading;
  }

  private async fetchStaff(groupId: string): Promise<Entry> {
    const group = await fetchDocument(this.http, groupId);
    const json = group.json as Record<string, unknown>;
    if (typeof json !== "object" || json === null || !sameId(String(json["id"] ?? ""), groupId)) {
      throw new RemoteError("mismatch", `The document at ${short(groupId)} is not that group.`);
    }
    const collection = ownUrl(groupId, json["moderators"]) ?? ownUrl(groupId, json["attributedTo"]);
    const moderators = new Set<string>();
    if (collection !== null) await this.readCollection(collection, moderators);
    const entry: Entry = {
      moderators,
      moderatorsCollection: collection,
      featured: ownUrl(groupId, json["featured"]),
      readAt: this.clock(),
    };
    this.#groups.delete(groupId);
    this.#groups.set(groupId, entry);
    if (this.#groups.size > MAX_GROUPS) {
      const oldest = this.#groups.keys().next().value;
      if (oldest !== undefined) this.#groups.delete(oldest);
    }
    return entry;
  }

  /** Collects the actor ids a collection lists, its pages followed within bounds. */
  private async readCollection(url: string, into: Set<string>): Promise<void> {
    let next: string | undefined = url;
    for (let page = 0; next !== undefined && page < MAX_PAGES && into.size < MAX_MODERATORS; page++) {
      const fetched = await fetchDocument(this.http, next);
      const doc = normalizeCollection(fetched.json);
      if (!doc.ok) throw new RemoteError("invalid", `${short(next)} is not a collection: ${doc.reason}.`);
      for (const item of doc.items) {
        const id = typeof item === "string" ? item : item.id;
        if (into.size < MAX_MODERATORS) into.add(id);
      }
      const first = doc.first;
      const following = page === 0 && doc.items.length === 0 && first !== undefined ? first : doc.next;
      if (typeof following !== "string" && following !== undefined) {
        for (const item of following.items)
          if (into.size < MAX_MODERATORS) into.add(typeof item === "string" ? item : item.id);
        next = following.next;
      } else {
        next = following;
      }
      if (next !== undefined && !sameOrigin(next, url)) break;
    }
  }
}

/** A URL (or an object's id) the group names, when it sits on the group's own server. */
function ownUrl(groupId: string, value: unknown): string | null {
  const raw = Array.isArray(value) ? value[0] : value;
  const url =
    typeof raw === "string"
      ? raw
      : raw !== null && typeof raw === "object" && typeof (raw as { id?: unknown }).id === "string"
        ? (raw as { id: string }).id
        : null;
  return url !== null && sameOrigin(url, groupId) && !sameId(url, groupId) ? url : null;
}
