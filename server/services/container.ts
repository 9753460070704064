import type { Config } from "../config.js";
import type { MediaStore, Store } from "../domain/ports.js";
import type { AppealService } from "./appeals.js";
import type { BoardService } from "./boards.js";
import type { CaptchaService } from "./captcha.js";
import type { Clock } from "./clock.js";
import type { PeerProbation } from "./defederation/probation.js";
import type { DomainPolicy } from "./defederation/rules-in-force.js";
import type { DefederationService } from "./defederation/service.js";
import type { DeliveryActions } from "./delivery-actions.js";
import type { PostEvents } from "./events.js";
import type { FederationActions } from "./federation-actions.js";
import type { HeldPostService } from "./held-posts.js";
import type { ImageProcessor } from "./images.js";
import type { Logger } from "./logger.js";
import type { MediaBanIndex } from "./media-ban-index.js";
import type { MediaBanLists } from "./media-ban-lists.js";
import type { MediaBanOffers } from "./media-ban-offers.js";
import type { MediaBanService } from "./media-bans.js";
import type { InstanceMetrics } from "./metrics.js";
import type { ModerationService } from "./moderation.js";
import type { Overboard } from "./overboard.js";
import type { PosterTokenService } from "./poster-tokens.js";
import type { PostingService } from "./posting.js";
import type { BoardReader } from "./reader.js";
import type { RemoteBanService } from "./remote-bans.js";
import type { RenderCache } from "./render-cache.js";
import type { SearchService } from "./search.js";
import type { Secrets } from "./secrets.js";
import type { SharedLimits } from "./shared-limits.js";
import type { StaffService } from "./staff.js";
import type { Urls } from "./urls.js";
import type { WordFilterService } from "./word-filters.js";

/** Everything one instance is made of, built by the composition root (server/app.ts) and passed down. */
export interface Services {
  config: Config;
  logger: Logger;
  clock: Clock;
  store: Store;
  media: MediaStore;
  secrets: Secrets;
  urls: Urls;
  events: PostEvents;
  images: ImageProcessor;
  cache: RenderCache;
  captcha: CaptchaService;
  /** Request and inbox limits, counted in the store so that every process enforces one budget. */
  limits: SharedLimits;
  boards: BoardService;
  posting: PostingService;
  /** Word filters, and local posts they hold for a moderator. */
  wordFilters: WordFilterService;
  heldPosts: HeldPostService;
  reader: BoardReader;
  /** The latest threads across listed boards. */
  overboard: Overboard;
  /** Full-text search over posts, as readers may see them. */
  search: SearchService;
  moderation: ModerationService;
  /** Files refused by hash: the staff actions, and the bans in force that uploads and attachments are checked against. */
  mediaBans: MediaBanService;
  mediaBanIndex: MediaBanIndex;
  /** This instance's own media bans offered to chosen peers (granted domains, minted tokens). */
  mediaBanOffers: MediaBanOffers;
  /** Subscribed hash lists; made with the federation, whose client fetches them. */
  mediaBanLists?: MediaBanLists;
  appeals: AppealService;
  /** Bans of fediverse accounts, per board or instance-wide. */
  remoteBans: RemoteBanService;
  /** Hiding anonymous posters by token on mirrors, banning them by token at their origin. */
  posterTokens: PosterTokenService;
  staff: StaffService;
  /** The domain rules in force (defederation), checked at every boundary. */
  policy: DomainPolicy;
  /** Domain blocks, allows, board rules, blocklist subscriptions and their audit log. */
  defederation: DefederationService;
  /** Probation of hosts never federated with before (PEER_PROBATION_DAYS). */
  probation: PeerProbation;
  /**
   * Operator actions on the federation (boards following remote groups): present in the services
   * the composition root hands to the HTTP layer and the command line once the federation is
   * built (the federation itself is built from the services without them); absent with FEDERATION=off.
   */
  federation?: FederationActions;
  /** The delivery backlog and the dropped deliveries, present like `federation`; absent with FEDERATION=off. */
  deliveries?: DeliveryActions;
  /** The Prometheus metrics (GET /metrics); absent in instances built without them. */
  metrics?: InstanceMetrics;
}
