import createApex, { type Apex } from "activitypub-express";
import type { DocumentLoader } from "jsonld";
import { DomainError } from "../../server/domain/errors.js";
import type { Logger } from "../../server/services/logger.js";
import { ApexStore, type CollectionResolver, type StreamEntry } from "./store.js";

export interface ApexEngineOptions {
  publicUrl: string;
  /** Atoll's own JSON-LD context (the imageboard extras), served by `loader`. */
  contextUrl: string;
  /** The preloaded-context loader: apex's JSON-LD processing never fetches a context. */
  loader: DocumentLoader;
  /** Maps a local collection id to its items in Atoll's stores. */
  resolve: CollectionResolver;
  logger: Logger;
  /** Items per collection page. Default 20. */
  pageSize?: number;
  version?: string;
}

/** A page request: absent for the collection itself, `true` for the first page, else a cursor from a `next` link. */
const PAGE = /^(true|o(0|[1-9][0-9]{0,8}))$/;

/** The apex functions this engine disables: Atoll's own federation code does their work. */
export const REPLACED_BY_ATOLL = [
  "requestObject",
  "resolveObject",
  "resolveUnknown",
  "resolveReferences",
  "deliver",
  "queueForDelivery",
  "runDelivery",
  "startDelivery",
  "address",
  "addToOutbox",
  "publishActivity",
  "publishUpdate",
  "publishUndoUpdate",
  "acceptFollow",
  "generateNodeInfo",
] as const;

/**
 * The ActivityPub engine of one instance: an activitypub-express object built for this instance
 * alone (its settings, its store adapter over Atoll's stores, its context loader), so two
 * instances in one process never share it. Atoll uses apex to build collections and their pages
 * (JSON-LD compacted against the ActivityStreams, security and Atoll contexts) and keeps it away
 * from everything with known holes: its signature checks, its remote fetching and object
 * resolution, its forwarding and its module-level delivery loop are overridden here to refuse,
 * because federation/http, federation/remote, federation/inbox and federation/delivery replace them.
 */
export class ApexEngine {
  readonly #apex: Apex;

  constructor(o: ApexEngineOptions) {
    const store = new ApexStore(o.resolve, o.loader);
    const log =
      (level: "error" | "warn" | "info") =>
      (msg: unknown, ...rest: unknown[]) =>
        o.logger[level](`apex: ${String(msg)}`, rest.length > 0 ? { detail: rest.map(String).join(" ") } : {});
    const apex = createApex({
      name: "Atoll",
      version: o.version ?? "0",
      baseUrl: o.publicUrl,
      actorParam: "actor",
      objectParam: "id",
      activityParam: "id",
      pageParam: "page",
      itemsPerPage: o.pageSize ?? 20,
      // Route patterns apex derives ids from; Atoll serves its own routes (federation/routes).
      routes: {
        actor: "/ap/boards/:actor",
        object: "/ap/objects/:id",
        activity: "/ap/activities/:id",
        inbox: "/ap/boards/:actor/inbox",
        outbox: "/ap/boards/:actor/outbox",
        followers: "/ap/boards/:actor/followers",
        following: "/ap/boards/:actor/following",
        liked: "/ap/boards/:actor/liked",
        collections: "/ap/boards/:actor/c/:id",
        blocked: "/ap/boards/:actor/blocked",
        rejections: "/ap/boards/:actor/rejections",
        rejected: "/ap/boards/:actor/rejected",
        shares: "/ap/activities/:id/shares",
        likes: "/ap/activities/:id/likes",
      },
      context: [o.contextUrl],
      store,
      logger: { error: log("error"), warn: log("warn"), info: log("info") },
      offlineMode: true,
    });
    const loader = o.loader;
    apex.jsonldContextLoader = (url: string) => loader(url);
    for (const name of REPLACED_BY_ATOLL) {
      apex[name] = () => {
        throw new Error(`apex: ${name} is replaced by Atoll's own federation code and must not run`);
      };
    }
    this.#apex = apex;
  }

  /**
   * The collection document for `page` undefined, else one of its pages (`"true"` for the first, or
   * the cursor of a `next` link). Items are the source's own documents, unchanged: only the
   * collection's frame goes through JSON-LD. Throws DomainError("invalid") for a malformed page and
   * DomainError("not_found") for an id that names no collection.
   */
  async collection(id: string, page: string | undefined): Promise<Record<string, unknown>> {
    const apex = this.#apex;
    if (page === undefined) return apex.toJSONLD(await apex.getCollection(id));
    if (!PAGE.test(page)) throw new DomainError("invalid", "The page parameter is not valid.");
    const built = await apex.getCollection(id, page, (entry) => (entry as StreamEntry).item, true);
    const { orderedItems, ...frame } = built;
    const doc = await apex.toJSONLD({ ...frame, partOf: id });
    return { ...doc, orderedItems: Array.isArray(orderedItems) ? orderedItems : [] };
  }
}
