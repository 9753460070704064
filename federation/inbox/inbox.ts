import type { IncomingHttpHeaders } from "node:http";
import { domainOfUrl } from "../../server/domain/domain-policy.js";
import { DomainError } from "../../server/domain/errors.js";
import type { RemoteActor } from "../../server/domain/federation-ports.js";
import type { Services } from "../../server/services/container.js";
import type { FederationContext } from "../context.js";
import { checkDigest } from "../http/digest.js";
import type { GuardedFetch } from "../http/guarded-fetch.js";
import {
  keyOwnerOf,
  type ParsedSignatureWithRaw,
  PublicKeyCache,
  parseSignatureHeaderWithRaw,
  SignatureError,
  verifyRequestAsync,
} from "../http/signatures.js";
import type { FederationIds } from "../ids.js";
import { checkShape, DEFAULT_SHAPE_LIMITS } from "../jsonld/shape.js";
import { RemoteActors } from "../remote/actors.js";
import { RemoteError } from "../remote/errors.js";
import { sameOrigin } from "../remote/fetch.js";
import { RemoteObjects } from "../remote/objects.js";
import { type NormalizedActivity, type NormalizedDocument, normalizeActivity } from "../vocab/normalize.js";
import { checkInboundDomains, checkReferences, describeRefusal, documentReferences } from "./domain-check.js";
import {
  forbidden,
  IgnoredActivity,
  InboxRefusal,
  type InboxResult,
  ignored,
  malformed,
  notFound,
  unauthorized,
} from "./errors.js";
import { HANDLERS } from "./handlers/index.js";
import type { InboxDeps } from "./handlers/types.js";
import { type InboxOutbox, QueueOutbox } from "./outbox.js";
import { SanitizerThreads } from "./sanitizer-threads.js";

/** How long an activity id is remembered, so a replay within it is ignored. */
export const REPLAY_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;
/** How old a signed Date may be, and how far ahead of our clock. */
const MAX_SKEW_MS = 60 * 60 * 1000;
const MAX_FUTURE_MS = 5 * 60 * 1000;

/** How often expired replay records are pruned (on the next delivery after this long). */
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/** A POST to an inbox, as the router hands it over: the body exactly as received. */
export interface InboxRequest {
  method: string;
  /** The path and query as received (what `(request-target)` covers). */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The board whose inbox it was posted to; null for the shared inbox and the instance actor's. */
  board: string | null;
}

export interface InboxOptions {
  /** Where Accepts and Announces go; by default straight onto the delivery queue. */
  outbox?: InboxOutbox;
  /** The remote actor cache to share (key lookups); by default one of the inbox's own. */
  actors?: RemoteActors;
  /** Where post bodies are sanitized; by default a thread of the inbox's own where there are several cores. */
  sanitizer?: SanitizerThreads;
}

/**
 * The inbound side of federation. `receive` runs the whole pipeline on a raw POST, refusing before
 * any side effect: signature header, Date and Digest, JSON within shape limits, normalisation, the
 * signer's key (cached or fetched from its owner, refetched once on a failure in case it rotated),
 * key owner = actor, replay. `handleVerified` is what follows once the signer is known.
 */
export class Inbox {
  readonly deps: InboxDeps;
  #lastPrune = 0;
  readonly #keyCache = new PublicKeyCache();

  constructor(s: Services, ctx: FederationContext, opts: InboxOptions = {}) {
    const actors = opts.actors ?? new RemoteActors(s.store.federation.actors, ctx, s.clock);
    this.deps = {
      s,
      ids: ctx.ids,
      // Handlers fetch only media with it: domains whose media is rejected are refused too.
      http: ctx.http.withScope({ media: true }),
      actors,
      objects: new RemoteObjects(ctx, (doc, json) => this.#screenFetched(doc, json)),
      outbox: opts.outbox ?? new QueueOutbox(s.store.federation.deliveries, s.store.federation.follows, ctx.ids),
      sanitizer:
        opts.sanitizer ??
        new SanitizerThreads({
          onError: (err) => s.logger.warn("post bodies are sanitized on the request thread", { err }),
        }),
    };
  }

  /** Stops what the inbox runs beside the request thread (the sanitizer's thread). */
  async close(): Promise<void> {
    await this.deps.sanitizer.close();
  }

  get ids(): FederationIds {
    return this.deps.ids;
  }

  get http(): GuardedFetch {
    return this.deps.http;
  }

  /** The whole pipeline. Throws InboxRefusal with the status to answer; resolves for a 202. */
  async receive(req: InboxRequest): Promise<InboxResult> {
    const { s } = this.deps;
    if (req.board !== null && !(await s.reader.getBoard(req.board))) {
      throw notFound(`There is no board /${req.board}/.`);
    }
    const signature = guard(() => precheck(req, s.clock()));
    // A suspended signer is refused before the body is parsed or its key looked up.
    const refusal = signerRefusal(s, signature.keyId, req.board);
    if (refusal !== null) throw forbidden(refusal);
    const { json, activity } = parse(req.body);

    // Only the actor's own origin can vouch for its key: no fetch on behalf of a stranger's keyId.
    if (!sameOrigin(keyOwnerOf(signature.keyId), activity.actor)) {
      throw unauthorized("The signing key is not on the actor's origin.");
    }
    let signer: RemoteActor;
    try {
      signer = await this.verify(req, signature);
    } catch (err) {
      // A deleted account's key is gone with it; its Delete has nothing left to act on here.
      const selfDelete = activity.type === "Delete" && activity.objectIds[0] === activity.actor;
      if (selfDelete && err instanceof RemoteError && err.kind === "gone") return ignored("The actor is gone.");
      throw asUnauthorized(err);
    }
    if (signer.id !== activity.actor) throw unauthorized("The key's owner is not the activity's actor.");
    await this.#screen(activity, json, req.board, signature.keyId);

    this.#pruneReplays();
    if (await s.store.federation.inboxDedupe.seen(activity.id, s.clock(), REPLAY_WINDOW_MS)) {
      return ignored("Already received.");
    }
    return this.dispatch(activity, json, req.board, signer);
  }

  /**
   * The post-signature stage: `json` is an activity whose signature was made by `signerActorId`'s
   * key. Checks shape, normalizes, requires the signer to be the actor, and runs the handler.
   * Throws InboxRefusal to refuse; resolves with what became of it otherwise.
   */
  async handleVerified(
    json: unknown,
    signerActorId: string,
    opts: { board?: string | null } = {},
  ): Promise<InboxResult> {
    const parsed = parseValue(json);
    if (parsed.activity.actor !== signerActorId) throw unauthorized("The key's owner is not the activity's actor.");
    await this.#screen(parsed.activity, parsed.json, opts.board ?? null);
    return this.dispatch(parsed.activity, parsed.json, opts.board ?? null, null);
  }

  /**
   * The domain rules over everything the activity names (see domain-check.ts): a 403 before
   * anything is stored or fetched on its behalf.
   */
  async #screen(
    activity: NormalizedActivity,
    json: Record<string, unknown>,
    board: string | null,
    keyId?: string,
  ): Promise<void> {
    const refusal = await checkInboundDomains(this.deps, activity, {
      json,
      board,
      ...(keyId === undefined ? {} : { keyId }),
    });
    if (refusal === null) return;
    const reason = describeRefusal(refusal);
    this.deps.s.logger.info("inbox: refused by the domain rules", { id: activity.id, actor: activity.actor, reason });
    throw forbidden(reason);
  }

  /** The same rules over a document fetched for a handler (a Create or Announce naming its object by id). */
  async #screenFetched(doc: NormalizedDocument, json: unknown): Promise<void> {
    const refusal = await checkReferences(this.deps, documentReferences(doc, json));
    if (refusal === null) return;
    const reason = describeRefusal(refusal);
    this.deps.s.logger.info("inbox: a fetched document is refused by the domain rules", { id: doc.id, reason });
    throw forbidden(reason);
  }

  /** Forgets expired replay records now and then, in the background; a failure is only logged. */
  #pruneReplays(): void {
    const { s } = this.deps;
    const now = s.clock();
    if (now - this.#lastPrune < PRUNE_EVERY_MS) return;
    this.#lastPrune = now;
    s.store.federation.inboxDedupe.prune(now).catch((err: unknown) => {
      s.logger.warn("could not prune the inbox replay records", { err });
    });
  }

  /** Resolves the key's owner and checks the signature; retries once with a fresh key from the cache. */
  private async verify(req: InboxRequest, signature: ParsedSignatureWithRaw): Promise<RemoteActor> {
    const { keyId } = signature;
    const { actor, fromCache } = await this.deps.actors.forKey(keyId);
    const request = { method: req.method, path: req.path, headers: req.headers, rawBody: req.body };
    const options = {
      maxSkewMs: MAX_SKEW_MS,
      maxFutureMs: MAX_FUTURE_MS,
      now: new Date(this.deps.s.clock()),
      keyCache: this.#keyCache,
      // precheck() has parsed the signature and hashed the body against its Digest already.
      digestChecked: true,
      parsed: signature,
    };
    try {
      await verifyRequestAsync(request, { ...options, publicKeyPem: actor.publicKeyPem });
      return actor;
    } catch (err) {
      if (!(err instanceof SignatureError) || !fromCache) throw err;
      if (err.reason !== "signature" && err.reason !== "key") throw err;
    }
    const fresh = await this.deps.actors.fetchForKey(keyId);
    await verifyRequestAsync(request, { ...options, publicKeyPem: fresh.publicKeyPem });
    return fresh;
  }

  private async dispatch(
    activity: NormalizedActivity,
    json: Record<string, unknown>,
    board: string | null,
    signer: RemoteActor | null,
  ): Promise<InboxResult> {
    const handler = HANDLERS.get(activity.type);
    if (!handler) return ignored(`${activity.type} is not handled.`);
    try {
      return await handler(this.deps, { activity, json, board, signer });
    } catch (err) {
      if (err instanceof InboxRefusal) throw err;
      if (err instanceof IgnoredActivity) return ignored(err.message);
      if (err instanceof RemoteError) return ignored(err.message);
      if (err instanceof DomainError) {
        if (err.kind === "invalid" || err.kind === "too_large") throw malformed(err.message);
        return ignored(err.message);
      }
      this.deps.s.logger.error("inbox handler failed", { type: activity.type, id: activity.id, err });
      throw malformed("The activity could not be processed.");
    }
  }
}

/**
 * Why the domain rules refuse whoever signed with `keyId` (suspended for the instance, or for the
 * board whose inbox was posted to), or null. Cheap: no body, no key, no I/O.
 */
export function signerRefusal(s: Services, keyId: string, board: string | null): string | null {
  const host = domainOfUrl(keyId);
  if (host === null) return null; // not a URL: the signature check refuses it
  const decision = board === null ? s.policy.check(host) : s.policy.check(host, board);
  return decision.suspended ? `${host} is not federated with (${decision.reason}).` : null;
}

function guard<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw asUnauthorized(err);
  }
}

/** Any failure to establish who signed: always a 401, with the reason when it is ours to tell. */
function asUnauthorized(err: unknown): InboxRefusal {
  if (err instanceof InboxRefusal) return err;
  if (err instanceof SignatureError || err instanceof RemoteError) return unauthorized(err.message);
  return unauthorized("The signature could not be verified.");
}

/**
 * What can be checked before the key is known: the signature header parses and covers what it
 * must, the Digest matches the body, and the signed time is within the window. Cheap refusals of
 * broken or stale requests, so they cost no key fetch.
 */
function precheck(req: InboxRequest, now: number): ParsedSignatureWithRaw {
  const header = first(req.headers["signature"]) ?? signatureAuthorization(first(req.headers["authorization"]));
  if (header === undefined) throw new SignatureError("missing", "The request is not signed.");
  const sig = parseSignatureHeaderWithRaw(header);
  const signed = new Set(sig.headers);
  for (const name of ["(request-target)", "host", "digest"]) {
    if (!signed.has(name)) throw new SignatureError("headers", `The signature does not cover ${name}.`);
  }
  const digest = first(req.headers["digest"]);
  if (digest === undefined) throw new SignatureError("digest", "The Digest header is missing.");
  checkDigest(digest, req.body);
  let at: number;
  if (signed.has("(created)") && sig.created !== undefined) at = sig.created * 1000;
  else if (signed.has("date")) {
    const date = first(req.headers["date"]);
    at = date !== undefined && date.length <= 64 ? Date.parse(date) : Number.NaN;
  } else throw new SignatureError("headers", "The signature covers neither date nor (created).");
  if (Number.isNaN(at)) throw new SignatureError("date", "The Date header is not a date.");
  if (at < now - MAX_SKEW_MS || at > now + MAX_FUTURE_MS) {
    throw new SignatureError("date", "The signed time is outside the accepted window.");
  }
  return sig;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function signatureAuthorization(v: string | undefined): string | undefined {
  return v !== undefined && /^signature[ \t]/i.test(v) ? v : undefined;
}

/** JSON, within the shape limits, normalized as an activity; each failure a 400 with its reason. */
function parse(body: Buffer): { json: Record<string, unknown>; activity: NormalizedActivity } {
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8").replace(/^\uFEFF/, ""));
  } catch {
    throw malformed("The body is not valid JSON.");
  }
  return parseValue(json);
}

function parseValue(json: unknown): { json: Record<string, unknown>; activity: NormalizedActivity } {
  try {
    checkShape(json, DEFAULT_SHAPE_LIMITS);
  } catch (err) {
    throw malformed(err instanceof Error ? err.message : "The document is refused.");
  }
  const activity = normalizeActivity(json);
  if (!activity.ok) throw malformed(`Not a usable activity: ${activity.reason}.`);
  return { json: json as Record<string, unknown>, activity };
}
