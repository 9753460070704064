import { randomUUID } from "node:crypto";
import { DomainError } from "../domain/errors.js";
import {
  HASH_LIST_FORMATS,
  HashListError,
  type HashListFormat,
  type ParsedHashList,
  parseHashList,
} from "../domain/media-safety/hash-lists.js";
import { listSource, type MediaBanList } from "../domain/media-safety/media-ban-lists.js";
import { isHash64, type MediaBan } from "../domain/media-safety/media-bans.js";
import type { Store } from "../domain/ports.js";
import { can } from "../domain/staff.js";
import type { Clock } from "./clock.js";
import type { Logger } from "./logger.js";
import type { Actor } from "./staff.js";

/** Fetches a subscribed hash list; the federation implements it with the one guarded client. */
export interface HashListFetcher {
  /** The list's text; throws a DomainError when it could not be fetched. */
  fetch(url: string, token: string | null): Promise<string>;
}

export interface HashListInput {
  url?: unknown;
  format?: unknown;
  token?: unknown;
}

export interface ListSyncResult {
  added: number;
  removed: number;
  skipped: number;
}

const MAX_URL = 2048;
const MAX_EXCLUDES = 10_000;
/** How many hashes one audit entry names; the counts are always whole. */
const AUDIT_HASHES = 200;
/** How deep the trail may be paged: far past any list's history, short of a scan of everything. */
const MAX_AUDIT_OFFSET = 1_000_000;

/**
 * Subscriptions to hash lists: each list's entries are media bans of source `list:<id>`, brought in
 * line with the list at every sync (new entries banned, retracted or dropped ones lifted), except
 * the hashes an admin excluded. A failed or empty fetch changes nothing but the list's status.
 * Every change is in the lists' audit trail.
 */
export class MediaBanLists {
  readonly #syncing = new Map<string, Promise<ListSyncResult>>();
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: {
      store: Store;
      clock: Clock;
      logger: Logger;
      fetcher: HashListFetcher | null;
      syncIntervalMs: number;
      allowPrivateAddresses: boolean;
    },
  ) {}

  /** Syncs the lists that are due, now and then. */
  start(): void {
    this.stop();
    this.#timer = setInterval(
      () => {
        this.syncDue().catch((err: unknown) => this.deps.logger.error("hash list syncs failed", { err }));
      },
      Math.min(this.deps.syncIntervalMs, 3_600_000),
    );
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  async list(user: Actor): Promise<MediaBanList[]> {
    requireInstance(user);
    return this.deps.store.mediaBanLists.list();
  }

  async get(user: Actor, id: string): Promise<MediaBanList> {
    requireInstance(user);
    const list = id.length <= 100 ? await this.deps.store.mediaBanLists.get(id) : null;
    if (!list) throw new DomainError("not_found", "There is no such hash list.");
    return list;
  }

  /** Subscribes to a list; it is synced at once, and a failure to fetch it is its status, not an error. */
  async subscribe(user: Actor, input: HashListInput): Promise<MediaBanList> {
    requireInstance(user);
    const list: MediaBanList = {
      id: randomUUID(),
      url: listUrl(input.url, this.deps.allowPrivateAddresses),
      format: listFormat(input.format),
      token: listToken(input.token),
      excludes: [],
      createdAt: this.deps.clock(),
      createdBy: user.username,
      lastSyncAt: null,
      lastStatus: null,
      lastChange: null,
    };
    await this.deps.store.mediaBanLists.create(list);
    await this.audit(user.username, "list.create", list.id, { url: list.url, format: list.format });
    await this.sync(user, list.id).catch(() => undefined);
    return this.get(user, list.id);
  }

  /** Ends a subscription and lifts every ban its list made. */
  async remove(user: Actor, id: string): Promise<void> {
    const list = await this.get(user, id);
    await this.deps.store.mediaBanLists.delete(id);
    const { removed } = await this.deps.store.mediaBans.replaceSource(listSource(id), []);
    await this.audit(user.username, "list.delete", id, { url: list.url, removed: removed.length });
  }

  /** Keeps one hash of a list from being banned here; a ban it made already is lifted at once. */
  async exclude(user: Actor, id: string, hashInput: unknown): Promise<MediaBanList> {
    const list = await this.get(user, id);
    const hash = typeof hashInput === "string" ? hashInput.trim().toLowerCase() : "";
    if (!isHash64(hash)) throw new DomainError("invalid", "hash: 64 hexadecimal digits.");
    if (list.excludes.includes(hash)) return list;
    if (list.excludes.length >= MAX_EXCLUDES) {
      throw new DomainError("invalid", `A list has at most ${MAX_EXCLUDES} excluded hashes.`);
    }
    const updated = await this.deps.store.mediaBanLists.update(id, { excludes: [...list.excludes, hash] });
    if (!updated) throw new DomainError("not_found", "There is no such hash list.");
    const source = listSource(id);
    const lifted = (await this.deps.store.mediaBans.list()).filter((b) => b.source === source && b.hash === hash);
    for (const b of lifted) await this.deps.store.mediaBans.delete(b.id);
    await this.audit(user.username, "list.exclude", id, { hash, removed: lifted.length });
    return updated;
  }

  /** Lets an excluded hash be banned again from the list's next sync on. */
  async include(user: Actor, id: string, hashInput: unknown): Promise<MediaBanList> {
    const list = await this.get(user, id);
    const hash = typeof hashInput === "string" ? hashInput.trim().toLowerCase() : "";
    if (!list.excludes.includes(hash)) throw new DomainError("not_found", "This hash is not excluded.");
    const updated = await this.deps.store.mediaBanLists.update(id, {
      excludes: list.excludes.filter((h) => h !== hash),
    });
    if (!updated) throw new DomainError("not_found", "There is no such hash list.");
    await this.audit(user.username, "list.include", id, { hash });
    return updated;
  }

  /** The trail of lists, offers and media bans, newest first, `offset` entries in. */
  async auditTrail(user: Actor, limit = 200, offset = 0) {
    requireInstance(user);
    const skip = Number.isSafeInteger(offset) ? Math.max(0, Math.min(offset, MAX_AUDIT_OFFSET)) : 0;
    return this.deps.store.mediaBanLists.audit(Math.max(1, Math.min(limit, 1000)), skip);
  }

  /** Syncs every list whose last sync is older than the interval; failures are kept as the list's status. */
  async syncDue(): Promise<void> {
    const now = this.deps.clock();
    for (const list of await this.deps.store.mediaBanLists.list()) {
      if (list.lastSyncAt !== null && list.lastSyncAt + this.deps.syncIntervalMs > now) continue;
      await this.sync(SYSTEM, list.id).catch((err: unknown) =>
        this.deps.logger.warn("hash list sync failed", { list: list.id, err }),
      );
    }
  }

  /** Fetches one list and brings its bans in line with it. One sync of a list runs at a time. */
  sync(user: Actor, id: string): Promise<ListSyncResult> {
    const running = this.#syncing.get(id);
    if (running) return running;
    const p = this.#sync(user, id).finally(() => this.#syncing.delete(id));
    this.#syncing.set(id, p);
    return p;
  }

  async #sync(user: Actor, id: string): Promise<ListSyncResult> {
    const list = await this.get(user, id);
    const lists = this.deps.store.mediaBanLists;
    let parsed: ParsedHashList;
    try {
      if (!this.deps.fetcher) throw new DomainError("unprocessable", "Hash lists need federation to be on.");
      parsed = parseHashList(await this.deps.fetcher.fetch(list.url, list.token), list.format);
      const held = await this.heldCount(id);
      // An empty answer is far likelier a broken server than a list that retracted everything at once.
      if (parsed.entries.length === 0 && parsed.retracted.length === 0 && held > 0) {
        throw new HashListError("The list came back empty; its entries are kept.");
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await lists.update(id, { lastSyncAt: this.deps.clock(), lastStatus: `error: ${message.slice(0, 300)}` });
      await this.audit(user.username, "list.sync_failed", id, { error: message.slice(0, 300) });
      throw err instanceof DomainError
        ? err
        : new DomainError("unprocessable", `The list could not be read: ${message}`);
    }
    const now = this.deps.clock();
    const source = listSource(id);
    const excluded = new Set(list.excludes);
    const bans: MediaBan[] = parsed.entries
      .filter((e) => !excluded.has(e.hash))
      .map((e) => ({ id: randomUUID(), ...e, createdBy: user.username, createdAt: now, source }));
    const { added, removed } = await this.deps.store.mediaBans.replaceSource(source, bans);
    const skipped = parsed.errors.length;
    await lists.update(id, {
      lastSyncAt: now,
      lastStatus: skipped > 0 ? `ok (${skipped} lines skipped)` : "ok",
      lastChange: { added: added.length, removed: removed.length },
    });
    const named = (bs: MediaBan[]) => bs.slice(0, AUDIT_HASHES).map((b) => `${b.kind} ${b.hash}`);
    await this.audit(user.username, "list.sync", id, {
      added: added.length,
      removed: removed.length,
      skipped,
      added_hashes: named(added),
      removed_hashes: named(removed),
    });
    return { added: added.length, removed: removed.length, skipped };
  }

  private async heldCount(id: string): Promise<number> {
    const source = listSource(id);
    return (await this.deps.store.mediaBans.list()).filter((b) => b.source === source).length;
  }

  private async audit(actor: string, action: string, listId: string | null, detail: Record<string, unknown>) {
    await this.deps.store.mediaBanLists.addAudit({
      id: randomUUID(),
      at: this.deps.clock(),
      actor,
      action,
      listId,
      detail,
    });
  }
}

/** Who the scheduled syncs act as, in the audit trail. */
const SYSTEM: Actor = Object.freeze({ username: "system", role: "admin", boards: [] as string[] });

export function requireInstance(user: Actor): void {
  if (!can(user, "moderate", null)) throw new DomainError("forbidden", "Only instance-wide staff may do this.");
}

function listUrl(input: unknown, allowPrivateAddresses: boolean): string {
  if (typeof input !== "string" || input.length > MAX_URL) throw new DomainError("invalid", "url: an absolute URL.");
  let u: URL;
  try {
    u = new URL(input);
  } catch {
    throw new DomainError("invalid", "url: an absolute URL.");
  }
  const ok = u.protocol === "https:" || (allowPrivateAddresses && u.protocol === "http:");
  if (!ok) throw new DomainError("invalid", "url: a hash list URL must use https.");
  if (u.username !== "" || u.password !== "") {
    throw new DomainError("invalid", 'url: no credentials in the URL; give a "token".');
  }
  return u.toString();
}

function listFormat(input: unknown): HashListFormat {
  if (typeof input === "string" && (HASH_LIST_FORMATS as readonly string[]).includes(input)) {
    return input as HashListFormat;
  }
  throw new DomainError("invalid", 'format: "sha256", "pdq" or "atoll".');
}

function listToken(input: unknown): string | null {
  if (input === undefined || input === null || input === "") return null;
  if (typeof input !== "string" || !/^[\x21-\x7e]{1,500}$/.test(input)) {
    throw new DomainError("invalid", "token: up to 500 printable characters without spaces.");
  }
  return input;
}
