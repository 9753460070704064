import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { GuardedHashListFetcher } from "../federation/admin/hash-list-fetcher.js";
import { federationActions } from "../federation/admin/index.js";
import { guardedClient } from "../federation/context.js";
import { isInboxPath } from "../federation/inbox/router.js";
import { createFederation, defederationHooks, type Federation } from "../federation/index.js";
import { FsMediaStore } from "../storage/media/fs-media-store.js";
import { closeMediaStore, openMediaStore } from "../storage/media/open-media-store.js";
import { openStore } from "../storage/open.js";
import type { Config } from "./config.js";
import type { MediaStore, Store } from "./domain/ports.js";
import { createHttpApp } from "./http/app.js";
import { FastReads } from "./http/fast-reads.js";
import { InFlightRequests } from "./http/in-flight.js";
import { ThreadHub } from "./http/live/thread-hub.js";
import { inboxRoute, RequestLog, watchRequest } from "./http/request-log.js";
import type { RequestObserver } from "./http/request-observer.js";
import { gated } from "./http/route-gates.js";
import { AppealService } from "./services/appeals.js";
import { BoardService } from "./services/boards.js";
import { CaptchaService } from "./services/captcha.js";
import { type Clock, systemClock } from "./services/clock.js";
import type { Services } from "./services/container.js";
import { Cooldowns } from "./services/cooldowns.js";
import { PeerProbation } from "./services/defederation/probation.js";
import { DomainPolicy } from "./services/defederation/rules-in-force.js";
import { DefederationService } from "./services/defederation/service.js";
import { PostEvents } from "./services/events.js";
import { HeldPostService } from "./services/held-posts.js";
import { ImageProcessor, imageConcurrency } from "./services/images.js";
import { createLogger, type Logger } from "./services/logger.js";
import { MediaBanIndex } from "./services/media-ban-index.js";
import { MediaBanLists } from "./services/media-ban-lists.js";
import { MediaBanOffers } from "./services/media-ban-offers.js";
import { MediaBanService } from "./services/media-bans.js";
import { collectOrphanedMedia } from "./services/media-gc.js";
import { InstanceMetrics } from "./services/metrics.js";
import { ModerationService } from "./services/moderation.js";
import { Overboard } from "./services/overboard.js";
import { PosterTokenService } from "./services/poster-tokens.js";
import { PostingService } from "./services/posting.js";
import { BoardReader } from "./services/reader.js";
import { RemoteBanService } from "./services/remote-bans.js";
import { RenderCache } from "./services/render-cache.js";
import { SearchService } from "./services/search.js";
import { Secrets } from "./services/secrets.js";
import { SharedLimits } from "./services/shared-limits.js";
import { StaffService } from "./services/staff.js";
import { Urls } from "./services/urls.js";
import { videoProcessorFor } from "./services/video-setup.js";
import { WordFilterService } from "./services/word-filters.js";

export interface InstanceOptions {
  clock?: Clock;
  logger?: Logger;
  /** Use this store instead of opening one from the config (tests sharing a store). */
  store?: Store;
  media?: MediaStore;
  /** Told, besides the instance's request log, of every request the cached-read path answers (tests). */
  fastReadObserver?: RequestObserver;
  /** false: every request goes through Express (to compare the two paths). Default true. */
  fastReads?: boolean;
}

export interface Instance {
  services: Services;
  app: ReturnType<typeof createHttpApp>;
  /** The ActivityPub side (its inbox, delivery worker and retries), for tests and tools. */
  federation: Federation;
  /** Starts listening on config.host:config.port (port 0 picks one); resolves with the bound URL. */
  listen(): Promise<string>;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes the store. */
  close(graceMs?: number): Promise<void>;
}

/** The composition root: builds one complete instance from a validated config. No globals. */
export async function createInstance(config: Config, options: InstanceOptions = {}): Promise<Instance> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const store =
    options.store ??
    (await openStore({
      dataDir: config.dataDir,
      mongodbUrl: config.mongodbUrl,
      onWarning: (message, err) => logger.warn(message, { err }),
    }));
  const media = options.media ?? openMediaStore(config);
  const secrets = await Secrets.load(store.settings);
  const urls = new Urls(config.publicUrl, config.mediaUrl);
  const events = new PostEvents();
  // One registry per instance: several instances in one process never share a series.
  const metrics = new InstanceMetrics({
    store,
    clock,
    onError: (err) => logger.warn("could not read the delivery queue for the metrics", { err }),
  });
  events.on((e) => {
    if (e.type === "post_created") metrics.postCreated(e.post.apId !== null);
  });
  const images = new ImageProcessor({
    maxPixels: 40_000_000,
    concurrency: imageConcurrency(),
    queueLimit: config.imageQueueLimit,
  });
  const videos = videoProcessorFor(config.dataDir, logger);
  const cooldowns = new Cooldowns(store.limits.slots, store.posts, clock);
  const mediaBanIndex = new MediaBanIndex(store.mediaBans);
  const wordFilters = new WordFilterService({ store, clock });
  const posting = new PostingService({
    store,
    media,
    images,
    videos,
    secrets,
    cooldowns,
    clock,
    events,
    logger,
    mediaBans: mediaBanIndex,
    rateLimit: config.rateLimit,
    posterTokenRotationDays: config.posterTokenRotationDays,
    announce: config.federation,
    filters: wordFilters,
    uploads: metrics.uploads,
  });
  const policy = new DomainPolicy({ clock, mode: config.federationMode, publicUrl: config.publicUrl });
  const reader = new BoardReader(store, secrets, policy, clock);
  const moderation = new ModerationService({ store, posting, events, clock });
  // The one guarded outbound client, and what defederation needs from the federation (acting on
  // held data, fetching subscribed lists), made before the services that take them.
  const http = config.federation ? guardedClient({ config, policy }) : null;
  const hooks = http ? defederationHooks({ store, policy, posting, events }, http) : null;
  const core: Services = {
    config,
    logger,
    clock,
    store,
    media,
    secrets,
    urls,
    events,
    images,
    metrics,
    cache: new RenderCache(undefined, metrics.cache),
    captcha: new CaptchaService(secrets.keyBytes("captcha"), clock, store.limits.tokens),
    limits: new SharedLimits({
      store: store.limits,
      clock,
      logger,
      enabled: config.rateLimit,
      limits: config.requestLimits,
      ipKey: secrets.key("ip"),
    }),
    boards: new BoardService(store, media, clock, () => reader.invalidateBoards()),
    posting,
    wordFilters,
    heldPosts: new HeldPostService({
      store,
      clock,
      events,
      removeBlobs: (a) => posting.removeBlobs(a),
      announce: config.federation,
      media,
      logger,
    }),
    reader,
    overboard: new Overboard({ store, reader }),
    search: new SearchService({ store, reader }),
    moderation,
    mediaBans: new MediaBanService({ store, clock, moderation, media }),
    mediaBanIndex,
    mediaBanOffers: new MediaBanOffers({ store, clock }),
    appeals: new AppealService({ store, posting, clock }),
    remoteBans: new RemoteBanService({ store, posting, clock, publicUrl: config.publicUrl }),
    posterTokens: new PosterTokenService({ store, moderation, clock, onChange: () => reader.invalidateBoards() }),
    staff: new StaffService({ store, clock, adminToken: config.adminToken }),
    policy,
    probation: new PeerProbation({
      store,
      clock,
      logger,
      days: config.peerProbationDays,
      mode: config.federationMode,
      localDomain: policy.localDomain,
    }),
    defederation: new DefederationService({
      store,
      policy,
      clock,
      logger,
      purgeGraceMs: config.purgeGraceMs,
      syncIntervalMs: config.blocklistSyncMs,
      allowPrivateAddresses: config.allowPrivateAddresses,
      ...(hooks ?? {}),
    }),
  };
  // The rules are in force before the first request is answered or the first activity is sent.
  await core.defederation.load();
  const federation = createFederation(core, http ? { http } : {});
  const actions = federationActions(federation);
  // What the HTTP layer and the command line reach: the services with the federation's operator
  // actions beside them, a new object rather than one changed after it was handed out.
  const mediaBanLists = new MediaBanLists({
    store,
    clock,
    logger,
    fetcher: http ? new GuardedHashListFetcher(federation.context) : null,
    syncIntervalMs: config.blocklistSyncMs,
    allowPrivateAddresses: config.allowPrivateAddresses,
  });
  const services: Services = {
    ...core,
    mediaBanLists,
    ...(actions ? { federation: actions } : {}),
    ...(federation.deliveries ? { deliveries: federation.deliveries } : {}),
  };
  const live = new ThreadHub(services, config.liveStreams);
  const log = new RequestLog({
    metrics,
    logger: config.accessLog ? logger : null,
    key: secrets.key("access-log"),
  });
  const observer: RequestObserver = log;
  const extra = options.fastReadObserver;
  const fastObserver: RequestObserver = extra
    ? {
        observe(r) {
          log.observe(r);
          extra.observe(r);
        },
      }
    : log;
  const inboxes = gated((req) => isInboxPath(req.path), federation.inboxes);
  const app = createHttpApp(services, federation.router, inboxes, live, observer);
  const fast = options.fastReads === false ? null : new FastReads(services, app, fastObserver);
  let server: Server | null = null;
  const gcTimers = new Set<NodeJS.Timeout>();
  let closing = false;
  // Requests still being answered, so close() can let them finish before the store goes away.
  const requests = new InFlightRequests();
  const wait = (ms: number) =>
    new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        gcTimers.delete(t);
        if (closing) reject(new Error("closing"));
        else resolve();
      }, ms);
      t.unref();
      gcTimers.add(t);
    });

  return {
    services,
    app,
    federation,
    async listen() {
      server = createServer((req, res) => {
        requests.track(req, res);
        if (federation.serveEarly?.(req, res)) {
          watchRequest(observer, req, res, () => inboxRoute(req), req.socket.remoteAddress);
          return;
        }
        if (!fast) return app(req, res);
        // A cached read is sent from the cache; anything else reaches Express as if this were not here.
        fast.serve(req, res).then(
          (answered) => {
            if (!answered) app(req, res);
          },
          () => app(req, res),
        );
      });
      server.listen(config.port, config.host);
      await once(server, "listening");
      await services.defederation.start({ syncs: config.role !== "web" });
      // Like blocklists, hash lists are synced by one kind of process only.
      if (config.role !== "web") mediaBanLists.start();
      services.limits.start();
      if (media instanceof FsMediaStore) {
        media.removeAbandonedTemps().then(
          (removed) => {
            if (removed > 0) logger.info("removed temp files left by interrupted media writes", { removed });
          },
          (err: unknown) => logger.warn("could not remove abandoned media temp files", { err }),
        );
      }
      videos?.sweep().catch((err: unknown) => logger.warn("could not remove abandoned video work files", { err }));
      collectOrphanedMedia(store, media, logger, wait).catch((err: unknown) => {
        if (!closing) logger.warn("media garbage collection failed", { err });
      });
      const addr = server.address() as AddressInfo;
      const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
      return `http://${host}:${addr.port}`;
    },
    async close(graceMs = 8000) {
      closing = true;
      // One grace for everything: requests, then posts whose clients have gone.
      const deadline = performance.now() + graceMs;
      const left = () => Math.max(0, deadline - performance.now());
      for (const t of gcTimers) clearTimeout(t);
      // Event streams never finish on their own: end them so the requests in flight can.
      live.close();
      services.defederation.stop();
      mediaBanLists.stop();
      if (server) {
        const s = server;
        const closed = new Promise<void>((resolve) => s.close(() => resolve()));
        s.closeIdleConnections();
        const timer = setTimeout(() => {
          requests.logCut(logger);
          s.closeAllConnections();
        }, graceMs);
        await closed;
        clearTimeout(timer);
        // Cut connections report their requests closed a moment after the server itself.
        await requests.idle(Math.max(left(), 100));
      }
      // A post whose client went away is still being written: let it finish before the store closes.
      const unfinished = await posting.drain(left());
      if (unfinished > 0) logger.warn("posts still being written were cut at shutdown", { posts: unfinished });
      await images.close();
      await federation.close();
      // Counts this process has not yet shared go to the store before it closes.
      await services.limits.stop();
      await store.close();
      // A media store given by the caller is the caller's to close.
      if (!options.media) closeMediaStore(media);
    },
  };
}
