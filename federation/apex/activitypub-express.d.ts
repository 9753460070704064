// The part of activitypub-express (plain JavaScript, no type declarations) that federation/apex uses.
// Only federation/apex imports the package; everything else sees the typed engine it builds.
declare module "activitypub-express" {
  import type { RemoteDocument } from "jsonld";

  /** The store interface apex calls (its `IApexStore`); every method may be async. */
  export interface ApexStoreInterface {
    db: unknown;
    setup(optionalActor?: unknown): Promise<void>;
    getObject(id: string, includeMeta?: boolean): Promise<unknown>;
    saveObject(object: unknown): Promise<unknown>;
    getActivity(id: string, includeMeta?: boolean): Promise<unknown>;
    findActivityByCollectionAndObjectId(collection: string, objectId: string, includeMeta?: boolean): Promise<unknown>;
    findActivityByCollectionAndActorId(collection: string, actorId: string, includeMeta?: boolean): Promise<unknown>;
    getStream(
      collectionId: string,
      limit: number | null,
      after: string | null,
      blockList?: string[],
      query?: unknown,
    ): Promise<ApexStreamItem[]>;
    getStreamCount(collectionId: string): Promise<number>;
    getContext(documentUrl: string): Promise<RemoteDocument | null>;
    getUsercount(): Promise<number>;
    saveContext(context: RemoteDocument): Promise<unknown>;
    saveActivity(activity: unknown): Promise<unknown>;
    removeActivity(activity: unknown, actorId: string): Promise<unknown>;
    updateActivity(activity: unknown, fullReplace: boolean): Promise<unknown>;
    updateActivityMeta(activity: unknown, key: string, value: unknown, remove: boolean): Promise<unknown>;
    generateId(): string;
    updateObject(obj: unknown, actorId: string | null, fullReplace: boolean): Promise<unknown>;
    deliveryDequeue(): Promise<unknown>;
    deliveryEnqueue(actorId: string, body: string, addresses: string | string[], signingKey: string): Promise<unknown>;
    deliveryRequeue(delivery: unknown): Promise<unknown>;
  }

  /** One item of a stream; `_id` is the cursor apex puts in the next page's URL. */
  export interface ApexStreamItem {
    _id?: string;
    [key: string]: unknown;
  }

  export interface ApexRoutes {
    actor: string;
    object: string;
    activity: string;
    inbox: string;
    outbox: string;
    followers: string;
    following: string;
    liked: string;
    collections: string;
    blocked: string;
    rejections: string;
    rejected: string;
    shares: string;
    likes: string;
  }

  export interface ApexSettings {
    name: string;
    version: string;
    baseUrl: string;
    actorParam: string;
    objectParam: string;
    activityParam?: string;
    collectionParam?: string;
    pageParam?: string;
    itemsPerPage?: number;
    routes: ApexRoutes;
    context?: unknown[];
    store: ApexStoreInterface;
    logger?: { error(...args: unknown[]): void; warn(...args: unknown[]): void; info(...args: unknown[]): void };
    offlineMode?: boolean;
  }

  /** The apex object: its `pub` functions bound to one instance's settings and store. */
  export interface Apex {
    settings: ApexSettings;
    store: ApexStoreInterface;
    context: unknown[];
    itemsPerPage: number;
    pageParam: string;
    getCollection(
      collectionId: string,
      page?: string | null,
      remapper?: ((item: ApexStreamItem) => unknown) | null,
      includePrivate?: boolean,
    ): Promise<Record<string, unknown>>;
    toJSONLD(obj: unknown): Promise<Record<string, unknown>>;
    fromJSONLD(obj: unknown): Promise<Record<string, unknown>>;
    stringifyPublicJSONLD(obj: unknown): string;
    addPageToIRI(id: string, page: string | boolean): string;
    // The pieces Atoll replaces; federation/apex/engine.ts overrides each so it can never run.
    jsonldContextLoader(url: string, options?: unknown): Promise<RemoteDocument>;
    requestObject(id: string): Promise<unknown>;
    resolveObject(id: unknown, ...rest: unknown[]): Promise<unknown>;
    resolveUnknown(value: unknown): Promise<unknown>;
    resolveReferences(object: unknown, depth?: number): Promise<unknown>;
    deliver(actorId: string, activity: string, address: string, signingKey: string): Promise<unknown>;
    queueForDelivery(...args: unknown[]): Promise<unknown>;
    runDelivery(): Promise<unknown>;
    startDelivery(): void;
    address(...args: unknown[]): Promise<unknown>;
    addToOutbox(...args: unknown[]): Promise<unknown>;
    publishActivity(...args: unknown[]): Promise<unknown>;
    publishUpdate(...args: unknown[]): Promise<unknown>;
    publishUndoUpdate(...args: unknown[]): Promise<unknown>;
    acceptFollow(...args: unknown[]): Promise<unknown>;
    generateNodeInfo(version: string): Promise<unknown>;
    [key: string]: unknown;
  }

  export default function ActivitypubExpress(settings: ApexSettings): Apex;
}
