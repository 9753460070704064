import { randomUUID } from "node:crypto";
import { type DomainBlock, domainSuffixes } from "../../domain/defederation/rules.js";
import type { AuditEntry } from "../../domain/defederation-ports.js";
import { type SeveranceEvent, type SeveredRelationship, severanceOrigin } from "../../domain/severance.js";
import type { DefederationOptions, SeveredFollow } from "./types.js";

/**
 * Records what a suspension is about to sever: the follows are grouped under the rule that cuts them
 * (the most specific suspended domain covering theirs), one event per rule, each saying the rule's
 * severity, public reason and where it came from. `audit` holds the entries of the change being
 * applied (empty when held data is reconciled at start).
 */
export async function recordSeverance(
  o: Pick<DefederationOptions, "store" | "clock">,
  severed: readonly SeveredFollow[],
  audit: readonly AuditEntry[],
): Promise<SeveranceEvent[]> {
  if (severed.length === 0) return [];
  const { store } = o;
  const blocks = (await store.defederation.rules.listBlocks()).filter((b) => b.severity === "suspend");
  const byDomain = new Map(blocks.map((b) => [b.domain, b]));
  const entries = new Map<string, AuditEntry>();
  for (const a of audit) if (a.domain) entries.set(a.domain, a);
  const groups = new Map<string, SeveredFollow[]>();
  for (const f of severed) {
    const rule = domainSuffixes(f.domain).find((d) => byDomain.has(d)) ?? f.domain;
    groups.set(rule, [...(groups.get(rule) ?? []), f]);
  }
  let consensusNeeded: boolean | undefined;
  const at = o.clock();
  const events: SeveranceEvent[] = [];
  for (const [domain, follows] of groups) {
    const block: DomainBlock | undefined = byDomain.get(domain);
    if (block?.origin === "subscription" && consensusNeeded === undefined) {
      const c = await store.defederation.subscriptions.consensus();
      consensusNeeded = c.minSources > 1 || c.minShare !== null;
    }
    const event: SeveranceEvent = {
      id: randomUUID(),
      at,
      domain,
      severity: "suspend",
      publicReason: block?.publicComment ?? "",
      origin: severanceOrigin(block?.origin ?? "manual", entries.get(domain) ?? null, consensusNeeded ?? false),
      followersLost: follows.filter((f) => f.direction === "inbound").length,
      followingLost: follows.filter((f) => f.direction === "outbound").length,
    };
    const relationships: SeveredRelationship[] = follows.map((f) => ({ ...f, eventId: event.id }));
    await store.defederation.severances.record(event, relationships);
    events.push(event);
  }
  return events;
}
