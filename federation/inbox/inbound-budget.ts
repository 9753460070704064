import { domainOfUrl } from "../../server/domain/defederation/rules.js";
import type { Services } from "../../server/services/container.js";
import { keyOwnerOf } from "../http/signatures.js";
import { InboxRefusal } from "./errors.js";
import type { FollowedActors } from "./followed-actors.js";

/*
 * The inbox budgets per signing domain and per signing actor (RATE_LIMIT=on; shared by every
 * process on the store). Anyone can name any key in a Signature header, so the header alone only
 * decides a refusal once a budget is spent (budgetRefusal, before the body is read: nothing of the
 * activity has been taken, so the peer's retry loses nothing); a request is counted only once its
 * signature has been verified (spendBudget). So forged requests naming a domain's keys never spend
 * its budget. An actor one of our boards follows (a group relaying its members' activity) has no
 * budget of its own, only its domain's.
 */

type BudgetServices = Pick<Services, "limits" | "config">;

/** The owner of `keyId` as the actor budget knows it, or null when it is spared one. */
function budgetedActor(s: BudgetServices, followed: FollowedActors, keyId: string): string | null {
  const who = keyOwnerOf(keyId);
  return s.config.rateLimit && followed.has(who) ? null : who;
}

/** A 429 when the domain of `keyId`, or the key's owner, has spent its budget already; counts nothing. */
export function budgetRefusal(s: BudgetServices, followed: FollowedActors, keyId: string): InboxRefusal | null {
  const host = domainOfUrl(keyId);
  if (host === null) return null;
  const byDomain = s.limits.inboundSpent(host);
  const actor = byDomain === 0 ? budgetedActor(s, followed, keyId) : null;
  const wait = byDomain !== 0 ? byDomain : actor === null ? 0 : s.limits.inboundActorSpent(actor);
  if (wait === 0) return null;
  const who = byDomain !== 0 ? host : actor;
  return new InboxRefusal(429, `${who} sent more activities than this instance takes; try again in ${wait} s.`, wait);
}

/**
 * Counts a request signed with `keyId` once its signature is verified. It is taken whatever the
 * count says: the work of reading and verifying it is done, and a refusal now would only make the
 * peer send it, and us verify it, again. The budget refuses the requests that follow, so what passes
 * over it is bounded by the requests verified at once.
 */
export function spendBudget(s: BudgetServices, followed: FollowedActors, keyId: string): void {
  const host = domainOfUrl(keyId);
  if (host === null) return;
  s.limits.countInbound(host, budgetedActor(s, followed, keyId));
}
