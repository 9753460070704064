import { domainSuffixes } from "../../server/domain/defederation/rules.js";
import type { Services } from "../../server/services/container.js";
import type { PolicyChange } from "../../server/services/defederation/rules-in-force.js";
import type { RemoteActors } from "./actors.js";

/**
 * What a new suspension does at once to what federation holds of the domain: its cached actors
 * are forgotten (so no stale key of theirs is trusted, even if the rule is lifted later) and its
 * queued deliveries are removed. The domains looked at are those whose rules changed and the known
 * peers they cover (subdomains); when the change does not say which domains changed (a reload),
 * every known peer. Returns what was dropped.
 */
export async function dropSuspendedPeers(
  s: Pick<Services, "store" | "logger" | "clock">,
  actors: RemoteActors,
  change: PolicyChange,
): Promise<{ domains: string[]; actors: number; deliveries: number }> {
  const now = s.clock();
  const known = await knownPeers(s);
  const changed = new Set(change.domains);
  const candidates = new Set<string>();
  for (const d of changed) candidates.add(d);
  for (const peer of known) {
    if (changed.size === 0 || domainSuffixes(peer).some((suffix) => changed.has(suffix))) candidates.add(peer);
  }
  const out = { domains: [] as string[], actors: 0, deliveries: 0 };
  for (const domain of candidates) {
    if (!change.current.check(domain, now).suspended) continue;
    // Already suspended before: already dropped then (a reload re-checks, which is harmless).
    if (changed.size > 0 && change.previous.check(domain, now).suspended) continue;
    out.domains.push(domain);
    for (const actor of await s.store.federation.actors.listByDomain(domain)) {
      if (await actors.forget(actor.id)) out.actors++;
    }
    out.deliveries += await s.store.federation.deliveries.removeForDomain(domain);
  }
  if (out.domains.length > 0) s.logger.info("suspension applied to cached actors and queued deliveries", out);
  return out;
}

/** The remote domains this instance has dealt with: delivered to, or whose software it knows. */
async function knownPeers(s: Pick<Services, "store">): Promise<Set<string>> {
  const { peerHealth, instances } = s.store.federation;
  const [health, software] = await Promise.all([peerHealth.list(), instances.list()]);
  const out = new Set<string>();
  for (const h of health) out.add(h.domain);
  for (const i of software) out.add(i.domain);
  return out;
}
