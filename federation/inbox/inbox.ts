import type { IncomingHttpHeaders } from "node:http";
import { domainOfUrl } from "../../server/domain/defederation/rules.js";
import { DomainError } from "../../server/domain/errors.js";
import type { RemoteActor } from "../../server/domain/federation-ports.js";
import type { Services } from "../../server/services/container.js";
import type { FederationContext } from "../context.js";
import type { GuardedFetch } from "../http/guarded-fetch.js";
import {
  keyOwnerOf,
  type ParsedSignatureWithRaw,
  PublicKeyCache,
  SignatureError,
  verifyRequestAsync,
} from "../http/signatures.js";
import type { FederationIds } from "../ids.js";
import { RemoteActors } from "../remote/actors.js";
import { RemoteError } from "../remote/errors.js";
import { sameOrigin } from "../remote/fetch.js";
import { RemoteObjects } from "../remote/objects.js";
import type { NormalizedActivity, NormalizedDocument } from "../vocab/normalize.js";
import { parse, parseValue } from "./activity-json.js";
import { checkInboundDomains, checkReferences, describeRefusal, documentReferences } from "./domain-check.js";
import {
  deferred,
  forbidden,
  IgnoredActivity,
  InboxRefusal,
  type InboxResult,
  ignored,
  malformed,
  notFound,
  TransientFailure,
  unauthorized,
  unavailable,
} from "./errors.js";
import { FollowedActors } from "./followed-actors.js";
import { GroupModerators } from "./group-moderators.js";
import { HANDLERS } from "./handlers/index.js";
import type { InboxDeps, InboxServices } from "./handlers/types.js";
import { spendBudget } from "./inbound-budget.js";
import { type InboundFacts, InboundLog } from "./inbound-log.js";
import type { InboxOutbox } from "./outbox.js";
import { SanitizerThreads } from "./sanitizer-threads.js";
import { asUnauthorized, guard, MAX_FUTURE_MS, MAX_SKEW_MS, precheck } from "./signature-checks.js";

/** How long an activity id is remembered, so a replay within it is ignored. */
export const REPLAY_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

/** How often expired replay records are pruned (on the next delivery after this long). */
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/** What a peer is asked to wait before sending again when its key cannot be fetched now. */
const KEY_RETRY_AFTER_S = 30;
/** What a peer is asked to wait when the store cannot keep an activity now. */
const STORE_RETRY_AFTER_S = 10;
/** The first retry of an activity kept for later. */
export const FIRST_RETRY_MS = 10_000;

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
  /** Where Accepts and Announces go: the composition root's queue and publisher. */
  outbox: InboxOutbox;
  /** The remote actor cache to share (key lookups); by default one of the inbox's own. */
  actors?: RemoteActors;
  /** Where post bodies are sanitized; by default a thread of the inbox's own where there are several cores. */
  sanitizer?: SanitizerThreads;
  /**
   * Told the domain of every peer whose signed activity was verified: it is up, whatever the
   * delivery queue thinks (the delivery worker ends its back-off at once).
   */
  onPeerActive?: (domain: string) => void;
  /** Told when a group accepts a board's follow. */
  onFollowAccepted?: (groupId: string) => void;
}

/**
 * The inbound side of federation. `receive` runs the whole pipeline on a raw POST, refusing before
 * any side effect: signature header, Date and Digest, JSON within shape limits, normalisation, the
 * signer's key (cached or fetched from its owner, refetched once on a failure in case it rotated),
 * key owner = actor, replay. `handleVerified` is what follows once the signer is known.
 */
export class Inbox {
  readonly deps: InboxDeps;
  /** The one line per inbound activity (the router logs its own refusals through it too). */
  readonly log: InboundLog;
  /** The actors our boards follow: spared the per-actor inbound budget (see FollowedActors). */
  readonly followed: FollowedActors;
  #lastPrune = 0;
  readonly #keyCache = new PublicKeyCache();
  readonly #onPeerActive: (domain: string) => void;
  /** Activities being handled in this process, so a copy arriving meanwhile waits for the first. */
  readonly #inFlight = new Map<string, Promise<unknown>>();

  constructor(s: InboxServices, ctx: FederationContext, opts: InboxOptions) {
    const actors = opts.actors ?? new RemoteActors(s.store.federation.actors, ctx, s.clock);
    this.deps = {
      s,
      ids: ctx.ids,
      // Handlers fetch only media with it: domains whose media is rejected are refused too.
      http: ctx.http.withScope({ media: true }),
      actors,
      objects: new RemoteObjects(ctx, (doc, json) => this.#screenFetched(doc, json)),
      moderators: new GroupModerators(ctx, s.clock),
      outbox: opts.outbox,
      sanitizer:
        opts.sanitizer ??
        new SanitizerThreads({
          onError: (err) => s.logger.warn("post bodies are sanitized on the request thread", { err }),
        }),
      followAccepted: opts.onFollowAccepted ?? (() => {}),
    };
    this.#onPeerActive = opts.onPeerActive ?? (() => {});
    this.log = new InboundLog(s.logger, s.clock, s.metrics?.inbox);
    this.followed = new FollowedActors(s);
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

  /**
   * The whole pipeline. Throws InboxRefusal with the status to answer; resolves for a 202. Either
   * way one info line says what became of the activity (see InboundLog).
   */
  async receive(req: InboxRequest): Promise<InboxResult> {
    const facts: InboundFacts = {};
    try {
      const result = await this.#receive(req, facts);
      this.log.taken(facts, req.board, result.outcome, result.detail);
      return result;
    } catch (err) {
      if (err instanceof InboxRefusal) this.log.refused(facts, req.board, err.status, err.message);
      throw err;
    }
  }

  async #receive(req: InboxRequest, facts: InboundFacts): Promise<InboxResult> {
    const { s } = this.deps;
    if (req.board !== null && !(await s.reader.getBoard(req.board))) {
      throw notFound(`There is no board /${req.board}/.`);
    }
    const signature = guard(() => precheck(req, s.clock()));
    facts.keyId = signature.keyId;
    // A suspended signer is refused before the body is parsed or its key looked up.
    const refusal = signerRefusal(s, signature.keyId, req.board);
    if (refusal !== null) throw forbidden(refusal);
    const { json, activity } = parse(req.body);
    facts.id = activity.id;
    facts.type = activity.type;
    facts.actor = activity.actor;

    // Only the actor's own origin can vouch for its key: no fetch on behalf of a stranger's keyId.
    if (!sameOrigin(keyOwnerOf(signature.keyId), activity.actor)) {
      throw unauthorized("The signing key is not on the actor's origin.");
    }
    const claimed = domainOfUrl(signature.keyId);
    const cost = { fetched: false };
    let signer: RemoteActor;
    try {
      const failing = claimed === null ? 0 : s.limits.inboundFailuresSpent(claimed);
      signer = await this.verify(req, signature, failing, cost);
    } catch (err) {
      if (err instanceof InboxRefusal) throw err;
      // A request that is not verified and cost a key fetch (or a refetch) is counted against the
      // domain it claims; not a peer out of reach, which is no sign of forgery (see verify).
      if (claimed !== null && cost.fetched && !(err instanceof RemoteError && err.transient)) {
        s.limits.inboundFailure(claimed);
      }
      // A deleted account's key is gone with it; its Delete has nothing left to act on here.
      const selfDelete = activity.type === "Delete" && activity.objectIds[0] === activity.actor;
      if (selfDelete && err instanceof RemoteError && err.kind === "gone") return ignored("The actor is gone.");
      // The key's server is down or busy: nothing can be verified, so nothing is taken; the peer
      // is asked to send the activity again, not told it arrived.
      if (err instanceof RemoteError && err.transient) {
        throw unavailable(`The signing key cannot be fetched now (${err.message}).`, KEY_RETRY_AFTER_S);
      }
      throw asUnauthorized(err);
    }
    // Authentic: only now does the request spend its signer's inbox budgets.
    spendBudget(s, this.followed, signature.keyId);
    if (signer.id !== activity.actor) throw unauthorized("The key's owner is not the activity's actor.");
    await this.#screen(activity, json, req.board, signature.keyId);
    this.#onPeerActive(signer.domain);
    // A host's first verified activity is when it first appears (and starts on probation).
    await s.probation.observe(signer.domain);

    this.#pruneReplays();
    return this.#once(activity.id, async () => {
      if (await s.store.federation.inboxDedupe.has(activity.id, s.clock())) return ignored("Already received.");
      return this.#handle(activity, json, req.board, signer.id, signer, req.body.toString("utf8"));
    });
  }

  /**
   * Takes an activity read from its actor's own origin rather than posted to us (a group's outbox,
   * read back to catch up): the fetch from that origin vouches for it as a signature would. Runs
   * what follows the signature check, with the same replay record and retry queue as a delivery.
   */
  async takeFetched(json: unknown, actorId: string): Promise<InboxResult> {
    const { s } = this.deps;
    const { json: activityJson, activity } = parseValue(json);
    if (activity.actor !== actorId) throw unauthorized("The activity is not the actor's own.");
    await this.#screen(activity, activityJson, null);
    return this.#once(activity.id, async () => {
      if (await s.store.federation.inboxDedupe.has(activity.id, s.clock())) return ignored("Already received.");
      return this.#handle(activity, activityJson, null, actorId, null, JSON.stringify(activityJson));
    });
  }

  /**
   * Runs `work` for an activity id unless this process is handling the same id right now: a copy
   * arriving meanwhile (a peer resending after a timeout, the same activity at two inboxes) waits
   * for the first and is answered as already received.
   */
  async #once(id: string, work: () => Promise<InboxResult>): Promise<InboxResult> {
    const running = this.#inFlight.get(id);
    if (running) {
      await running.catch(() => {});
      return ignored("Already received.");
    }
    const p = work();
    this.#inFlight.set(id, p);
    try {
      return await p;
    } finally {
      this.#inFlight.delete(id);
    }
  }

  /**
   * Hands a verified, screened activity to its handler, and only then records it as received: a
   * process that dies half-way leaves it unrecorded, so the peer's next try is taken. Handlers are
   * idempotent (a post already here is not posted again), which makes the rare second run harmless.
   * When something the handler needs is out of reach for now, the activity is kept in the inbox's
   * retry queue and tried again by this instance; when even that cannot be stored, the peer is
   * asked to send it again (503). In neither case is an activity answered as taken and then lost.
   */
  async #handle(
    activity: NormalizedActivity,
    json: Record<string, unknown>,
    board: string | null,
    signerId: string,
    signer: RemoteActor | null,
    body: string,
  ): Promise<InboxResult> {
    const { s } = this.deps;
    let result: InboxResult;
    try {
      result = await this.dispatch(activity, json, board, signer);
    } catch (err) {
      if (!(err instanceof TransientFailure)) throw err;
      const now = s.clock();
      try {
        await s.store.federation.inboundRetries.add(
          { id: activity.id, board, signer: signerId, body, lastError: err.message },
          now,
          now + FIRST_RETRY_MS,
        );
      } catch (storeErr) {
        s.logger.warn("inbox: an activity could not be kept for another try", { id: activity.id, err: storeErr });
        throw unavailable("The activity cannot be taken now; send it again later.", STORE_RETRY_AFTER_S);
      }
      s.logger.debug("inbox: kept for another try", { id: activity.id, reason: err.message });
      result = deferred(`Taken; it will be acted on once this passes: ${err.message}`);
    }
    await this.#remember(activity.id);
    return result;
  }

  /** Records an activity as received. Its effects are stored already: a failure here is only logged. */
  async #remember(id: string): Promise<void> {
    const { s } = this.deps;
    try {
      await s.store.federation.inboxDedupe.seen(id, s.clock(), REPLAY_WINDOW_MS);
    } catch (err) {
      s.logger.warn("inbox: could not record an activity as received", { id, err });
    }
  }

  /**
   * Tries again an activity kept in the retry queue: the post-signature stage (the domain rules as
   * they are now, then the handler). Resolves with what became of it, throws InboxRefusal when it is
   * refused now, and TransientFailure when it is still out of reach. `lastChance`: the last try, done
   * without what is still out of reach where a handler can (see Inbound.lastChance).
   */
  async retry(item: { body: string; signer: string; board: string | null }, lastChance: boolean): Promise<InboxResult> {
    let json: unknown;
    try {
      json = JSON.parse(item.body);
    } catch {
      throw malformed("The kept activity is not JSON.");
    }
    const parsed = parseValue(json);
    if (parsed.activity.actor !== item.signer) throw unauthorized("The key's owner is not the activity's actor.");
    await this.#screen(parsed.activity, parsed.json, item.board);
    return this.dispatch(parsed.activity, parsed.json, item.board, null, lastChance);
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
    this.deps.s.logger.debug("inbox: refused by the domain rules", { id: activity.id, actor: activity.actor, reason });
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

  /**
   * Resolves the key's owner and checks the signature; when the cached key fails, retries once with
   * the key fetched again from its owner, at most once a minute per key (see refetchForKey). `cost`
   * learns whether a key was fetched for it. `failing`: 0 while the claimed domain's budget of failed
   * verifications that cost a fetch lasts, else the seconds until it is renewed. Once it is spent,
   * keys are not fetched for that domain: a request whose key is not known here is refused (429)
   * before any fetch or crypto, and a cached key that fails is not fetched again. So a flood of bad
   * signatures naming a domain costs its server no fetches past the budget and us at most one RSA
   * verification each, while the domain's senders whose keys are known are verified as ever.
   */
  private async verify(
    req: InboxRequest,
    signature: ParsedSignatureWithRaw,
    failing: number,
    cost: { fetched: boolean },
  ): Promise<RemoteActor> {
    const { keyId } = signature;
    const cached = await this.deps.actors.cachedForKey(keyId);
    if (cached === null && failing !== 0) throw keysNotFetched(keyId, failing);
    const fromCache = cached !== null;
    cost.fetched = !fromCache;
    const actor = cached ?? (await this.deps.actors.fetchForKey(keyId));
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
    let failure: SignatureError;
    try {
      await verifyRequestAsync(request, { ...options, publicKeyPem: actor.publicKeyPem });
      return actor;
    } catch (err) {
      if (!(err instanceof SignatureError) || !fromCache) throw err;
      if (err.reason !== "signature" && err.reason !== "key") throw err;
      failure = err;
    }
    if (failing !== 0) throw failure;
    cost.fetched = true;
    const fresh = await this.deps.actors.refetchForKey(keyId);
    // Fetched again within the minute already: the key it gave is the one that just failed.
    if (fresh === null) {
      cost.fetched = false;
      throw failure;
    }
    await verifyRequestAsync(request, { ...options, publicKeyPem: fresh.publicKeyPem });
    return fresh;
  }

  /**
   * Runs the activity's handler. Resolves with what became of it; throws InboxRefusal to refuse it
   * for good, and TransientFailure when it may succeed later: a peer out of reach, a full queue of
   * ours, or a failure of our own (a store error, a bug), which is retried rather than answered
   * as if the peer's activity were at fault.
   */
  private async dispatch(
    activity: NormalizedActivity,
    json: Record<string, unknown>,
    board: string | null,
    signer: RemoteActor | null,
    lastChance = false,
  ): Promise<InboxResult> {
    const handler = HANDLERS.get(activity.type);
    if (!handler) return ignored(`${activity.type} is not handled.`);
    try {
      return await handler(this.deps, { activity, json, board, signer, lastChance });
    } catch (err) {
      if (err instanceof InboxRefusal || err instanceof TransientFailure) throw err;
      if (err instanceof IgnoredActivity) return ignored(err.message);
      if (err instanceof RemoteError) {
        if (err.transient) throw new TransientFailure(err.message);
        return ignored(err.message);
      }
      if (err instanceof DomainError) {
        if (err.kind === "invalid" || err.kind === "too_large") throw malformed(err.message);
        if (err.kind === "busy") throw new TransientFailure(err.message);
        return ignored(err.message);
      }
      this.deps.s.logger.error("inbox handler failed", { type: activity.type, id: activity.id, err });
      throw new TransientFailure("The activity could not be processed here now.");
    }
  }
}

/**
 * Why the domain rules refuse whoever signed with `keyId` (suspended for the instance, or for the
 * board whose inbox was posted to), or null. Cheap: no body, no key, no I/O.
 */
export function signerRefusal(s: Pick<Services, "policy">, keyId: string, board: string | null): string | null {
  const host = domainOfUrl(keyId);
  if (host === null) return null; // not a URL: the signature check refuses it
  const decision = board === null ? s.policy.check(host) : s.policy.check(host, board);
  return decision.suspended ? `${host} is not federated with (${decision.reason}).` : null;
}

/** The refusal of a request whose key only a fetch could tell, while its domain may cost no fetch (see Inbox.verify). */
function keysNotFetched(keyId: string, wait: number): InboxRefusal {
  const domain = domainOfUrl(keyId) ?? keyId;
  return new InboxRefusal(
    429,
    `Too many requests naming keys on ${domain} failed verification; keys not known here are fetched again in ${wait} s.`,
    wait,
  );
}
