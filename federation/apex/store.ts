import { randomUUID } from "node:crypto";
import type { ApexStoreInterface, ApexStreamItem } from "activitypub-express";
import type { DocumentLoader, RemoteDocument } from "jsonld";
import { DomainError } from "../../server/domain/errors.js";

/** A collection apex pages through: its size and a slice of its items by position, newest first. */
export interface CollectionSource {
  count(): Promise<number>;
  slice(offset: number, limit: number): Promise<unknown[]>;
}

/** The source behind a local collection id, or null when the id names none. */
export type CollectionResolver = (collectionId: string) => Promise<CollectionSource | null>;

/** The largest page apex may ask for; `getCollection(…, Infinity)` is never served from a request. */
const MAX_STREAM = 1000;
/**
 * A cursor is a position in the collection, written `o<offset>` (`o20`): not a bare number, so a
 * client asking for `?page=2` in the page-number style is told so instead of being served a page
 * that starts two items in.
 */
const CURSOR = /^o(0|[1-9][0-9]{0,8})$/;

/** The item shape this store hands apex: the item itself, and the cursor after it on the page's last item. */
export interface StreamEntry extends ApexStreamItem {
  item: unknown;
}

/**
 * apex's store interface (`IApexStore`) over Atoll's own stores, SQLite or MongoDB alike: the
 * collections apex pages through are read from the boards, posts and follows the rest of Atoll
 * writes, so there is one copy of every fact. apex's own MongoDB store is never created.
 *
 * Only the reads apex's collection building needs are served. Everything apex would write (its
 * object cache, activities, fetched contexts, its delivery queue) belongs to pieces Atoll replaces
 * (signature checks, fetching, forwarding, the module-level delivery loop), so those methods refuse:
 * reaching one means a replaced piece ran, which must fail loudly rather than store half a fact.
 */
export class ApexStore implements ApexStoreInterface {
  db: unknown = null;
  readonly #resolve: CollectionResolver;
  readonly #loader: DocumentLoader;

  constructor(resolve: CollectionResolver, loader: DocumentLoader) {
    this.#resolve = resolve;
    this.#loader = loader;
  }

  async setup(): Promise<void> {}

  async getStreamCount(collectionId: string): Promise<number> {
    return (await this.#source(collectionId)).count();
  }

  /**
   * A page of the collection after the position `after` (a cursor this store minted). The last item
   * carries the next cursor only when more items follow, so the last page has no `next`.
   */
  async getStream(collectionId: string, limit: number | null, after: string | null): Promise<StreamEntry[]> {
    const source = await this.#source(collectionId);
    if (after !== null && !CURSOR.test(after)) throw new DomainError("invalid", "The page cursor is not valid.");
    const offset = after === null ? 0 : Number(after.slice(1));
    const size = Math.min(limit ?? MAX_STREAM, MAX_STREAM);
    const items = await source.slice(offset, size + 1);
    const more = items.length > size;
    const page = items.slice(0, size);
    return page.map((item, i) => (more && i === page.length - 1 ? { item, _id: `o${offset + size}` } : { item }));
  }

  /** Contexts come from the preloaded set only; an unknown URL is refused, never fetched. */
  async getContext(documentUrl: string): Promise<RemoteDocument | null> {
    return this.#loader(documentUrl);
  }

  generateId(): string {
    return randomUUID();
  }

  async #source(collectionId: string): Promise<CollectionSource> {
    const source = await this.#resolve(collectionId);
    if (!source) throw new DomainError("not_found", "No such collection.");
    return source;
  }

  // apex's object and activity cache: Atoll resolves remote objects with its own guarded fetch.
  getObject(): Promise<unknown> {
    return replaced("getObject");
  }
  saveObject(): Promise<unknown> {
    return replaced("saveObject");
  }
  updateObject(): Promise<unknown> {
    return replaced("updateObject");
  }
  getActivity(): Promise<unknown> {
    return replaced("getActivity");
  }
  findActivityByCollectionAndObjectId(): Promise<unknown> {
    return replaced("findActivityByCollectionAndObjectId");
  }
  findActivityByCollectionAndActorId(): Promise<unknown> {
    return replaced("findActivityByCollectionAndActorId");
  }
  saveActivity(): Promise<unknown> {
    return replaced("saveActivity");
  }
  removeActivity(): Promise<unknown> {
    return replaced("removeActivity");
  }
  updateActivity(): Promise<unknown> {
    return replaced("updateActivity");
  }
  updateActivityMeta(): Promise<unknown> {
    return replaced("updateActivityMeta");
  }
  getUsercount(): Promise<number> {
    return replaced("getUsercount");
  }
  saveContext(): Promise<unknown> {
    return replaced("saveContext");
  }
  // apex's delivery queue: Atoll's durable queue and per-instance worker (federation/delivery) send.
  deliveryDequeue(): Promise<unknown> {
    return replaced("deliveryDequeue");
  }
  deliveryEnqueue(): Promise<unknown> {
    return replaced("deliveryEnqueue");
  }
  deliveryRequeue(): Promise<unknown> {
    return replaced("deliveryRequeue");
  }
}

function replaced(method: string): Promise<never> {
  return Promise.reject(new Error(`apex store: ${method} belongs to a piece Atoll replaces and is not served`));
}
