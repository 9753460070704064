import type { Follow, FollowRepository } from "../../../server/domain/federation-ports.js";
import type { Db } from "../database.js";

/**
 * The follow repository with each board's followers (`followersOf`, frozen), delivery addresses
 * (`inboxesForBoard`) and follows of others (`followingOf`, frozen) kept in memory, since the inbox
 * asks for them on every remote post it accepts and the answer only changes when a follow does. The memory is exact, never merely recent:
 * - every write through this repository drops it (all boards: writes are rare, and one by domain
 *   touches many boards);
 * - a commit by another connection on the same file (another process) moves SQLite's
 *   `data_version`, which is read before each answer, and drops it too;
 * - inside an open transaction nothing is kept or served, since what it wrote may be rolled back;
 * - a read that raced a write (the driver is synchronous, but a write can run between a read and
 *   the moment its answer is kept) is not kept, by a generation count.
 */
export class CachedFollowRepository implements FollowRepository {
  readonly #inner: FollowRepository;
  readonly #db: Db;
  readonly #dataVersion;
  #seenVersion: number | null = null;
  #generation = 0;
  readonly #inboxes = new Map<string, readonly string[]>();
  readonly #followers = new Map<string, readonly Follow[]>();
  readonly #following = new Map<string, readonly Follow[]>();

  constructor(inner: FollowRepository, db: Db) {
    this.#inner = inner;
    this.#db = db;
    this.#dataVersion = db.prepare<[], number>("PRAGMA data_version").pluck();
  }

  async inboxesForBoard(board: string): Promise<string[]> {
    return [...(await this.#remembered(this.#inboxes, board, () => this.#inner.inboxesForBoard(board)))];
  }

  async followersOf(board: string): Promise<Follow[]> {
    const followers = await this.#remembered(this.#followers, board, async () =>
      (await this.#inner.followersOf(board)).map((f) => Object.freeze(f)),
    );
    return [...followers];
  }

  /** The board's entry in `memory`, or what `load` reads, kept when it is safe to (see above). */
  async #remembered<T>(
    memory: Map<string, readonly T[]>,
    board: string,
    load: () => Promise<T[]>,
  ): Promise<readonly T[]> {
    if (this.#db.inTransaction) return load();
    const version = this.#dataVersion.get() ?? null;
    if (version !== this.#seenVersion) {
      this.#drop();
      this.#seenVersion = version;
    }
    const kept = typeof board === "string" ? memory.get(board) : undefined;
    if (kept) return kept;
    const generation = this.#generation;
    const loaded = await load();
    if (generation === this.#generation && !this.#db.inTransaction) memory.set(board, [...loaded]);
    return loaded;
  }

  add(follow: Follow): Promise<{ follow: Follow; created: boolean }> {
    return this.#write(() => this.#inner.add(follow));
  }

  accept(actorId: string, objectId: string): Promise<Follow | null> {
    return this.#write(() => this.#inner.accept(actorId, objectId));
  }

  remove(actorId: string, objectId: string): Promise<boolean> {
    return this.#write(() => this.#inner.remove(actorId, objectId));
  }

  removeByDomain(domain: string): Promise<number> {
    return this.#write(() => this.#inner.removeByDomain(domain));
  }

  removeByBoard(board: string): Promise<number> {
    return this.#write(() => this.#inner.removeByBoard(board));
  }

  get(actorId: string, objectId: string): Promise<Follow | null> {
    return this.#inner.get(actorId, objectId);
  }

  getById(id: string): Promise<Follow | null> {
    return this.#inner.getById(id);
  }

  async followingOf(board: string): Promise<Follow[]> {
    const following = await this.#remembered(this.#following, board, async () =>
      (await this.#inner.followingOf(board)).map((f) => Object.freeze(f)),
    );
    return [...following];
  }

  countFollowers(board: string): Promise<number> {
    return this.#inner.countFollowers(board);
  }

  domains(): Promise<Array<{ domain: string; count: number }>> {
    return this.#inner.domains();
  }

  pendingFollowersOf(board: string): Promise<Follow[]> {
    return this.#inner.pendingFollowersOf(board);
  }

  async #write<T>(work: () => Promise<T>): Promise<T> {
    this.#drop();
    try {
      return await work();
    } finally {
      this.#drop();
    }
  }

  #drop(): void {
    this.#generation++;
    this.#inboxes.clear();
    this.#followers.clear();
    this.#following.clear();
  }
}
