import type { AdminPageKit } from "../page-kit.js";
import { allowPages } from "./allow-pages.js";
import type { DefederationHttpDeps } from "./api-kit.js";
import { auditPages } from "./audit-pages.js";
import { blockPages } from "./block-pages.js";
import { boardRulePages } from "./board-rule-pages.js";
import { importPages } from "./import-pages.js";
import { probationPages } from "./probation-pages.js";
import { severancePages } from "./severance-pages.js";
import { subscriptionPages } from "./subscription-pages.js";

/*
 * The staff pages of defederation, under /admin/domains (admins) and /admin/boards/:uri/domains
 * (a board's own rules, for its owners too). Plain forms and redirects, as the other admin pages:
 * they work without JavaScript, and every form carries the session's CSRF token. A form is read by
 * the same field reader as the admin API (./fields.ts); the rules are the service's.
 */

/** Registers the defederation pages on the admin router, one module per part, each route with its permission. */
export function defederationPages(s: DefederationHttpDeps, kit: AdminPageKit): void {
  blockPages(s, kit);
  allowPages(s, kit);
  importPages(s, kit);
  subscriptionPages(s, kit);
  auditPages(s, kit);
  boardRulePages(s, kit);
  severancePages(s, kit);
  probationPages(s, kit);
}
