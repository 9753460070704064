import type { IncomingMessage, ServerResponse } from "node:http";
import { Router } from "express";
import type { Services } from "../server/services/container.js";
import type { BlocklistFetcher, HeldDataEffects } from "../server/services/defederation/types.js";
import { FederationHeldDataEffects, GuardedBlocklistFetcher } from "./admin/defederation-effects.js";
import { localCollections } from "./apex/collections.js";
import { ApexEngine } from "./apex/engine.js";
import { FederationContext } from "./context.js";
import { DeliveryAdmin } from "./delivery/admin.js";
import { ModerationPublisher } from "./delivery/moderation-publisher.js";
import { DeliveryPublisher } from "./delivery/publisher.js";
import { ReportRelay } from "./delivery/report-relay.js";
import { sendsDeliveries } from "./delivery/role.js";
import { DeliveryWorker } from "./delivery/worker.js";
import type { GuardedFetch } from "./http/guarded-fetch.js";
import { FederationIds } from "./ids.js";
import { Inbox } from "./inbox/inbox.js";
import { QueueOutbox } from "./inbox/outbox.js";
import { InboxRetryWorker } from "./inbox/retry-worker.js";
import { inboxEntry, inboxRouter } from "./inbox/router.js";
import { buildAtollContext } from "./jsonld/contexts/atoll.js";
import { createDocumentLoader } from "./jsonld/loader.js";
import { LocalKeys } from "./keys.js";
import { RemoteActors } from "./remote/actors.js";
import { Backfill } from "./remote/backfill.js";
import { RemoteFollowing } from "./remote/follows.js";
import { dropSuspendedPeers } from "./remote/suspension.js";
import { SignedReads } from "./routes/authorized-fetch.js";
import { mediaBanListRouter } from "./routes/media-ban-list.js";
import { objectsRouter } from "./routes/objects.js";
import { wellKnownRouter } from "./routes/well-known.js";
import { StaffActors } from "./staff-actors.js";

/** The ActivityPub side of one instance, built by the composition root. */
export interface Federation {
  ids: FederationIds;
  keys: LocalKeys;
  context: FederationContext;
  /** Routes mounted before the HTML pages, so thread URLs answer content negotiation. */
  router: Router;
  /**
   * The inboxes, mounted ahead of the app-wide middleware: server-to-server POSTs need none of it
   * (no cookies, no page headers), and a suspended domain's POST is refused at the least cost.
   */
  inboxes: Router;
  /**
   * Takes inbox POSTs before the app sees them (see inboxEntry): true when it answered the request.
   * Null without federation.
   */
  serveEarly: ((req: IncomingMessage, res: ServerResponse) => boolean) | null;
  /** Queues activities for followers (null with FEDERATION=off); the inbox calls `announceRemote`. */
  publisher: DeliveryPublisher | null;
  /**
   * Sends the queue (null with FEDERATION=off; not started with ATOLL_ROLE=web). The inbox tells it
   * `peerAnswered(domain)`; `onPeerBack` tells listeners when a domain that was down answers again.
   */
  worker: DeliveryWorker | null;
  /** The backlog and the dropped deliveries for operators (null with FEDERATION=off). */
  deliveries: DeliveryAdmin | null;
  /** The inboxes' pipeline (null with FEDERATION=off); `handleVerified` is its post-signature stage. */
  inbox: Inbox | null;
  /** Tries again what the inbox kept for later (null with FEDERATION=off; not started with ATOLL_ROLE=web). */
  inboxRetries: InboxRetryWorker | null;
  /** Boards catching up with the outboxes of the groups they follow (null with FEDERATION=off). */
  backfill: Backfill | null;
  /** Boards following remote groups (null with FEDERATION=off); the admin API and CLI call it. */
  following: RemoteFollowing | null;
  /** Staff as the fediverse sees them: the actors that sign a board's moderation. */
  staff: StaffActors;
  close(): Promise<void>;
}

/** How long a starting worker waits before it catches its boards up with the groups they follow. */
const STARTUP_BACKFILL_DELAY_MS = 5000;

/**
 * What the defederation service needs from the federation, built before the services (the
 * composition root hands them to the service's constructor): the effects of rules on held data,
 * and the blocklist fetcher over `http`, the instance's one guarded client, which the federation
 * built after them shares. None with FEDERATION=off.
 */
export function defederationHooks(
  deps: ConstructorParameters<typeof FederationHeldDataEffects>[0],
  http: GuardedFetch,
): { effects: HeldDataEffects; fetcher: BlocklistFetcher } {
  return { effects: new FederationHeldDataEffects(deps), fetcher: new GuardedBlocklistFetcher(http) };
}

/** `http`: the guarded client the defederation hooks were given, shared by everything here. */
export function createFederation(s: Services, opts: { http?: GuardedFetch } = {}): Federation {
  const ids = new FederationIds(s.config.publicUrl);
  const keys = new LocalKeys(s.store.federation.keys);
  const context = new FederationContext(s, ids, keys, opts.http);
  const staff = new StaffActors(s, ids);
  const router = Router();
  // One cache of remote actors and their keys for the inbox, signed reads and follows.
  const actors = new RemoteActors(s.store.federation.actors, context, s.clock);
  // The inboxes are a router of their own, which the HTTP app mounts first: a POST from a suspended
  // domain is refused before any other middleware runs (filled in once the inbox is built, below).
  const inboxes = Router();
  // NodeInfo describes the instance whether or not it federates.
  router.use(wellKnownRouter(s, ids));
  // This instance's own hash list, for chosen peers (by token even when it does not federate).
  router.use(mediaBanListRouter(s, actors));
  if (s.config.federation) {
    const apex = new ApexEngine({
      publicUrl: s.config.publicUrl,
      contextUrl: ids.context(),
      loader: createDocumentLoader({ [ids.context()]: buildAtollContext(s.config.publicUrl) }),
      resolve: localCollections(s, ids, staff),
      logger: s.logger,
    });
    router.use(objectsRouter(s, ids, keys, apex, new SignedReads(s, actors), staff));
  }
  // Outbound delivery: with ATOLL_ROLE=web this process only queues deliveries, leaving sending them
  // to a process running as `worker` or `all` (the default) on the same store.
  const role = s.config.role;
  const worker = s.config.federation ? new DeliveryWorker(context) : null;
  const publisher = s.config.federation ? new DeliveryPublisher(context, { onEnqueued: () => worker?.kick() }) : null;
  const deliveries = worker ? new DeliveryAdmin(context, () => worker.kick()) : null;
  publisher?.attach();
  const moderation = publisher ? new ModerationPublisher(context, publisher, staff) : null;
  moderation?.attach();
  if (worker && sendsDeliveries(role)) {
    worker.start();
    // Posts whose announcement a process did not live to queue are announced from here.
    publisher?.startRecovery();
  }
  // Inbound: Accepts and Follows go straight onto the queue; accepted remote posts are announced
  // to the board's followers by the publisher.
  const answers = new QueueOutbox(s.store.federation.deliveries, () => worker?.kick());
  // A board whose follow a group accepts catches up with the group's outbox (set once built, below).
  let backfill: Backfill | null = null;
  const inbox = s.config.federation
    ? new Inbox(s, context, {
        actors,
        onFollowAccepted: (groupId) => backfill?.schedule(groupId),
        // A peer that sends us a verified activity is up: what waits for it goes out at once.
        onPeerActive: (domain) => {
          void worker?.peerAnswered(domain);
        },
        outbox: {
          send: (actor, to, activity) => answers.send(actor, to, activity),
          announceRemote: async (board, activity) => {
            await publisher?.announceRemote(board, activity);
          },
        },
      })
    : null;
  if (inbox) inboxes.use(inboxRouter(inbox, s.logger));
  // What the inbox kept for another try is tried by the processes that also send deliveries.
  const inboxRetries = inbox ? new InboxRetryWorker(s, inbox) : null;
  if (inboxRetries && sendsDeliveries(role)) inboxRetries.start();
  backfill = inbox ? new Backfill(s, context, actors, inbox) : null;
  // A worker starting catches its boards up with the groups they follow: whatever this instance
  // missed while it was down, or past the peers' retry horizon, is read back (after a pause, so
  // starting is not slowed).
  // So does a board whose followed group's server answers again after it was down.
  const stopBackfillOnReturn =
    backfill && worker
      ? worker.onPeerBack((domain) => {
          backfill?.scheduleFollowed(domain).catch((err: unknown) => {
            s.logger.warn("could not schedule catching up", { domain, err });
          });
        })
      : () => {};
  let startupBackfill: NodeJS.Timeout | null = null;
  if (backfill && sendsDeliveries(role)) {
    const b = backfill;
    startupBackfill = setTimeout(() => {
      b.scheduleFollowed().catch((err: unknown) => s.logger.warn("could not schedule catching up", { err }));
    }, STARTUP_BACKFILL_DELAY_MS);
    startupBackfill.unref();
  }
  // Reports of mirrored posts go to their origin; reports from Lemmy peers are answered when resolved.
  const reportRelay = inbox
    ? new ReportRelay(context, actors, (actor, to, activity) => answers.send(actor, to, activity))
    : null;
  reportRelay?.attach();
  const following = inbox
    ? new RemoteFollowing(s, ids, inbox.deps.actors, (actor, to, activity) => answers.send(actor, to, activity))
    : null;
  // A domain newly suspended: its cached actors (and their keys) and its queued deliveries go. The
  // runs go one after another, and close() waits for the last, so the store is still open for it
  // (a command line process closes it as soon as its command returns).
  let suspensions: Promise<void> = Promise.resolve();
  const stopListening = s.config.federation
    ? s.policy.onChange((change) => {
        suspensions = suspensions
          .then(() => dropSuspendedPeers(s, actors, change))
          .then(
            () => {},
            (err: unknown) => {
              s.logger.error("could not apply a suspension to cached actors and queued deliveries", { err });
            },
          );
      })
    : () => {};
  const close = async () => {
    stopListening();
    await suspensions;
    stopBackfillOnReturn();
    if (startupBackfill) clearTimeout(startupBackfill);
    await backfill?.close();
    await moderation?.close();
    await publisher?.close();
    await reportRelay?.close();
    await worker?.stop();
    await inboxRetries?.stop();
    await inbox?.close();
  };
  const serveEarly = inbox ? inboxEntry(inbox, s.logger) : null;
  return {
    ids,
    keys,
    context,
    router,
    inboxes,
    serveEarly,
    publisher,
    worker,
    deliveries,
    inbox,
    inboxRetries,
    backfill,
    following,
    staff,
    close,
  };
}
