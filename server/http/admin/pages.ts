import type { Router } from "express";
import type { Services } from "../../services/container.js";
import { TwoFactorService } from "../../services/two-factor.js";
import { accountPages } from "./account-pages.js";
import { appealPages } from "./appeal-pages.js";
import { banPages } from "./ban-pages.js";
import { bannerPages } from "./banner-pages.js";
import { boardPages } from "./board-pages.js";
import { defederationPages } from "./defederation/pages.js";
import { deliveryPages } from "./delivery-pages.js";
import { federationPages } from "./federation-pages.js";
import { filterPages } from "./filter-pages.js";
import { heldPages } from "./held-pages.js";
import { loginPages } from "./login-pages.js";
import { mediaBanPages } from "./media-ban-pages.js";
import { adminPageKit } from "./page-kit.js";
import { posterTokenPages } from "./poster-token-pages.js";
import { publicNamePages } from "./public-names.js";
import { reportPages } from "./report-pages.js";
import { staffThreadPages } from "./staff-thread-pages.js";
import { threadPages } from "./thread-pages.js";
import { tokenPages } from "./token-pages.js";
import { userPages } from "./user-pages.js";

/**
 * The staff pages under /admin: sign-in, the reports queue, bans, post and thread tools, boards,
 * staff accounts, API tokens, domain rules and deliveries, each area in its own module and each route
 * with the permission it needs (./page-kit.ts). Every page is per user and never cached; every form is
 * a plain POST answered with a redirect back, and carries a token bound to the session.
 */
/** What the staff pages use of the services, their areas' included. */
export type AdminWebDeps = Pick<
  Services,
  | "appeals"
  | "boards"
  | "clock"
  | "config"
  | "defederation"
  | "probation"
  | "deliveries"
  | "federation"
  | "heldPosts"
  | "images"
  | "media"
  | "wordFilters"
  | "logger"
  | "mediaBans"
  | "mediaBanLists"
  | "mediaBanOffers"
  | "moderation"
  | "policy"
  | "posting"
  | "posterTokens"
  | "reader"
  | "remoteBans"
  | "secrets"
  | "staff"
  | "store"
  | "urls"
>;

export function adminWebRouter(s: AdminWebDeps): Router {
  const kit = adminPageKit(s);
  const twoFactor = new TwoFactorService({
    store: s.store,
    clock: s.clock,
    secrets: s.secrets,
    issuer: s.config.instanceName,
  });
  // Sign-in comes first: GET /admin is its form until there is a session, then the reports queue.
  loginPages(s, kit, twoFactor);
  accountPages(s, kit, twoFactor);
  reportPages(s, kit);
  threadPages(s, kit);
  staffThreadPages(s, kit);
  banPages(s, kit);
  mediaBanPages(s, kit);
  appealPages(s, kit);
  posterTokenPages(s, kit);
  filterPages(s, kit);
  heldPages(s, kit);
  boardPages(s, kit);
  bannerPages(s, kit);
  userPages(s, kit);
  publicNamePages(s, kit);
  tokenPages(s, kit);
  defederationPages(s, kit);
  deliveryPages(s, kit);
  federationPages(s, kit);
  return kit.router;
}
