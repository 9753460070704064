import { Router } from "express";
import { allowApi } from "./allow-api.js";
import { apiKit, type DefederationHttpDeps } from "./api-kit.js";
import { auditApi } from "./audit-api.js";
import { blockApi, MAX_IMPORT_BYTES } from "./block-api.js";
import { boardRuleApi } from "./board-rule-api.js";
import { probationApi } from "./probation-api.js";
import { severanceApi } from "./severance-api.js";
import { subscriptionApi } from "./subscription-api.js";

/*
 * The admin API of defederation. The block and allow endpoints follow Mastodon's admin API
 * (entities, status codes, paging, form or JSON bodies, 422 for a rule that already exists) so the
 * tools operators already drive Mastodon with work unchanged; the rest (CSV, subscriptions,
 * consensus, staging, the audit log, board rules) are Atoll's own, in the same style.
 */

/**
 * The defederation admin API, mounted by the admin API router behind its bearer check. API
 * callers are recorded in the audit log by their token (`ADMIN_TOKEN` or the minted token's id);
 * a valid token is an admin's (the bearer check), so no handler checks a role. Fields are read by
 * ./fields.ts; the rules they must satisfy are the service's.
 */
export function defederationApiRouter(s: DefederationHttpDeps): Router {
  const r = Router();
  const k = apiKit(r, s, MAX_IMPORT_BYTES);
  blockApi(k);
  allowApi(k);
  subscriptionApi(k);
  auditApi(k);
  boardRuleApi(k);
  severanceApi(k);
  probationApi(k);
  return r;
}
