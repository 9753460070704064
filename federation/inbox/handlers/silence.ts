import { domainOfUrl } from "../../../server/domain/defederation/rules.js";
import type { Services } from "../../../server/services/container.js";

/*
 * Silence (Mastodon's "limit") as the inbox applies it: a silenced domain's follows of a board wait
 * for a moderator's approval, and its new threads are held until one approves them. Replies are
 * taken (readers hide them unless they opt in). The instance's rules and the board's own count.
 */

/** Whether the actor's domain is silenced on the board (instance rule or the board's own). */
export function silencedOn(s: Pick<Services, "policy">, actorId: string, board: string): boolean {
  const host = domainOfUrl(actorId);
  return host !== null && s.policy.check(host, board).silenced;
}

/** The normalised domain of an actor id, as held activities record it ("" when it has none). */
export function actorDomain(actorId: string): string {
  return domainOfUrl(actorId) ?? "";
}
