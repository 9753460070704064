import type { RemoteActor, RemoteActorRepository } from "../../server/domain/federation-ports.js";
import type { Clock } from "../../server/services/clock.js";
import { keyOwnerOf } from "../http/signatures.js";
import { plainText } from "../inbox/sanitize.js";
import { type NormalizedActor, normalizeActor } from "../vocab/normalize.js";
import { RemoteError } from "./errors.js";
import { domainOf, fetchDocument, type SignedGetter, sameId, short } from "./fetch.js";

/**
 * Remote actors and their keys: read from the cache, or fetched from the actor's own URL and cached.
 * A fetched document is believed only for the URL it was served from: its id must be that URL, and
 * the key used must be listed in it as owned by it. So an actor can never be cached under an id it
 * merely claims, nor lend its key to another.
 */
export class RemoteActors {
  readonly #memory: ActorMemory;
  /** When each key was last fetched again because a signature failed (see refetchForKey). */
  readonly #refetched = new BoundedTimes();
  /** Actor URLs found gone (404, 410), with when: not fetched again for GONE_TTL_MS. */
  readonly #gone = new BoundedTimes();

  constructor(
    private readonly repo: RemoteActorRepository,
    private readonly http: SignedGetter,
    private readonly clock: Clock,
  ) {
    this.#memory = new ActorMemory(clock);
  }

  /** The actor holding the key `keyId`: from the cache when known, else fetched. */
  async forKey(keyId: string): Promise<{ actor: RemoteActor; fromCache: boolean }> {
    const cached = await this.cachedForKey(keyId);
    if (cached) return { actor: cached, fromCache: true };
    return { actor: await this.fetchForKey(keyId), fromCache: false };
  }

  /** The actor holding the key `keyId` when cached; never touches the network. */
  async cachedForKey(keyId: string): Promise<RemoteActor | null> {
    return this.#memory.byKey(keyId) ?? this.#memory.remember(await this.repo.getByKeyId(keyId));
  }

  /** Fetches the owner of `keyId` afresh (a rotated key) and caches it. */
  async fetchForKey(keyId: string): Promise<RemoteActor> {
    const { actor } = await this.fetch(keyOwnerOf(keyId));
    if (actor.keyId !== keyId) {
      throw new RemoteError("mismatch", `${short(actor.id)} does not list the key ${short(keyId)} as its own.`);
    }
    return actor;
  }

  /**
   * The owner of `keyId` fetched again after a signature made with its cached key failed (the key
   * may have rotated), or null when that was done for this key less than a minute ago: a stream of
   * bad signatures costs its key's server one fetch a minute, not one each.
   */
  async refetchForKey(keyId: string): Promise<RemoteActor | null> {
    const now = this.clock();
    const last = this.#refetched.get(keyId);
    if (last !== undefined && now - last >= 0 && now - last < REFETCH_EVERY_MS) return null;
    this.#refetched.set(keyId, now);
    return this.fetchForKey(keyId);
  }

  /** The actor `id`: from the cache when known (and `refresh` is not asked), else fetched. */
  async get(id: string, opts: { refresh?: boolean } = {}): Promise<RemoteActor> {
    if (!opts.refresh) {
      const cached = await this.cached(id);
      if (cached) return cached;
    }
    const { actor } = await this.fetch(id);
    if (!sameId(actor.id, id)) throw new RemoteError("mismatch", `${short(id)} is served by ${short(actor.id)}.`);
    return actor;
  }

  /** Cached only: never touches the network. */
  async cached(id: string): Promise<RemoteActor | null> {
    return this.#memory.byId(id) ?? this.#memory.remember(await this.repo.get(id));
  }

  /**
   * Fetches the actor document at `url`, checks that its id is the URL it was finally served from
   * and that it has a key of its own, and caches it.
   */
  fetch(url: string): Promise<{ actor: RemoteActor; document: NormalizedActor }> {
    // A deleted account keeps sending (its Deletes, to every server it knew): answered from memory.
    const gone = this.#gone.get(url);
    if (gone !== undefined) {
      const age = this.clock() - gone;
      if (age >= 0 && age < GONE_TTL_MS) {
        return Promise.reject(
          new RemoteError("gone", `${short(url)} is gone (as found ${Math.round(age / 1000)} s ago).`),
        );
      }
      this.#gone.delete(url);
    }
    // Requests signed by one new key arrive together: they share one fetch of its owner.
    const running = this.#fetching.get(url);
    if (running) return running;
    const work = this.#fetchNow(url)
      .catch((err: unknown) => {
        if (err instanceof RemoteError && err.kind === "gone") this.#gone.set(url, this.clock());
        throw err;
      })
      .finally(() => this.#fetching.delete(url));
    this.#fetching.set(url, work);
    return work;
  }

  readonly #fetching = new Map<string, Promise<{ actor: RemoteActor; document: NormalizedActor }>>();

  async #fetchNow(url: string): Promise<{ actor: RemoteActor; document: NormalizedActor }> {
    const fetched = await fetchDocument(this.http, url);
    const doc = normalizeActor(fetched.json);
    if (!doc.ok) throw new RemoteError("invalid", `${short(url)} is not a usable actor: ${doc.reason}.`);
    if (!sameId(doc.id, fetched.url)) {
      throw new RemoteError("mismatch", `The actor at ${short(fetched.url)} claims the id ${short(doc.id)}.`);
    }
    const key = doc.publicKey;
    if (!key) throw new RemoteError("invalid", `${short(doc.id)} has no public key of its own.`);
    if (key.owner !== doc.id) throw new RemoteError("mismatch", `The key of ${short(doc.id)} has another owner.`);
    const actor: RemoteActor = {
      id: doc.id,
      type: doc.type,
      inbox: doc.inbox,
      sharedInbox: doc.sharedInbox ?? null,
      preferredUsername: doc.preferredUsername ?? null,
      // Display text only, never markup: whatever shows it later escapes plain text.
      name: doc.name === undefined ? null : plainText(doc.name),
      summary: doc.summary === undefined ? null : plainText(doc.summary),
      url: doc.url ?? null,
      iconUrl: doc.icon ?? null,
      followers: doc.followers ?? null,
      keyId: key.id,
      publicKeyPem: key.publicKeyPem,
      domain: domainOf(doc.id),
      fetchedAt: this.clock(),
      raw: JSON.stringify(fetched.json),
    };
    // The store evicts whoever held the key before; the memory drops the same entries.
    this.#memory.drop((a) => a.id === actor.id || a.keyId === actor.keyId);
    await this.repo.upsert(actor);
    this.#memory.remember(actor);
    return { actor, document: doc };
  }

  /** Forgets a cached actor (it deleted itself). */
  forget(id: string): Promise<boolean> {
    this.#memory.drop((a) => a.id === id);
    return this.repo.delete(id);
  }
}

/** A key is fetched again after a failed signature at most this often. */
const REFETCH_EVERY_MS = 60_000;
/** How long an actor found gone is answered as gone without asking its server again. */
const GONE_TTL_MS = 10 * 60_000;
/** Keys and URLs remembered for the two above; past this, the oldest are forgotten. */
const TIMES_MAX = 10_000;

/** Times by key, the oldest forgotten first once there are TIMES_MAX. */
class BoundedTimes {
  readonly #times = new Map<string, number>();

  get(key: string): number | undefined {
    return this.#times.get(key);
  }

  set(key: string, at: number): void {
    this.#times.delete(key);
    this.#times.set(key, at);
    if (this.#times.size > TIMES_MAX) {
      const oldest = this.#times.keys().next().value;
      if (oldest !== undefined) this.#times.delete(oldest);
    }
  }

  delete(key: string): void {
    this.#times.delete(key);
  }
}

/** How long an actor read from the store is answered from memory. */
const MEMORY_TTL_MS = 60_000;
/** Actors kept in memory; the oldest entry goes first. */
const MEMORY_MAX = 1024;

/**
 * The actors this process read or fetched lately, by key id and by id, in front of the store: an
 * inbox sees the same few peers sign request after request. Changes made here (a fetch, a
 * forgotten actor) update it at once; changes another process makes to the store show once an
 * entry is a minute old. A key that no longer verifies is refetched whatever the entry's age.
 */
class ActorMemory {
  readonly #entries = new Map<string, { actor: RemoteActor; at: number }>();

  constructor(private readonly clock: Clock) {}

  byKey(keyId: string): RemoteActor | null {
    return this.#lookup(`k ${keyId}`);
  }

  byId(id: string): RemoteActor | null {
    return this.#lookup(`i ${id}`);
  }

  /** Keeps `actor` (when there is one) and returns it. */
  remember(actor: RemoteActor | null): RemoteActor | null {
    if (!actor) return null;
    // One entry per actor and per key: an actor read with a new key no longer answers for its old one.
    this.drop((a) => (a.id === actor.id) !== (a.keyId === actor.keyId));
    const entry = { actor, at: this.clock() };
    for (const key of [`k ${actor.keyId}`, `i ${actor.id}`]) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
    }
    while (this.#entries.size > MEMORY_MAX) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    return actor;
  }

  drop(match: (actor: RemoteActor) => boolean): void {
    for (const [key, entry] of this.#entries) if (match(entry.actor)) this.#entries.delete(key);
  }

  #lookup(key: string): RemoteActor | null {
    const entry = this.#entries.get(key);
    if (!entry) return null;
    const age = this.clock() - entry.at;
    if (age >= 0 && age < MEMORY_TTL_MS) return entry.actor;
    this.#entries.delete(key);
    return null;
  }
}

/** How an actor is shown as a post's name: `user@host`, from its username or else its id. */
export function handleOf(actor: Pick<RemoteActor, "id" | "preferredUsername">): string {
  let host = "";
  let last = "";
  try {
    const u = new URL(actor.id);
    host = u.host;
    last = decodeURIComponent(u.pathname.split("/").filter(Boolean).pop() ?? "");
  } catch {
    // An id that does not parse cannot come from the normaliser; fall back to the raw id.
  }
  const user = (actor.preferredUsername ?? last).replace(/[\s@]/g, "") || "someone";
  return host ? `${user}@${host}` : user;
}
