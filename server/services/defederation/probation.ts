import { randomUUID } from "node:crypto";
import { type PeerDomain, type ProbationState, probationState } from "../../domain/defederation/probation.js";
import { normalizeDomain } from "../../domain/defederation/rules.js";
import type { AuditAction, AuditActor } from "../../domain/defederation-ports.js";
import { DomainError } from "../../domain/errors.js";
import type { Store } from "../../domain/ports.js";
import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";

/** A host's probation as staff see it. */
export interface ProbationView extends ProbationState {
  domain: string;
  /** When the host was first seen; null when it never was. */
  firstSeenAt: number | null;
  /** How the last probation ended, once recorded. */
  endedBy: "vouch" | "expiry" | null;
}

export interface PeerProbationOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** PEER_PROBATION_DAYS: 0 turns probation off. */
  days: number;
  /**
   * Under FEDERATION_MODE=allowlist every host that can reach the instance is on an allow rule an
   * admin made: it counts as vouched for, and no probation starts.
   */
  mode: "blocklist" | "allowlist";
  /** The instance's own host, never a peer. */
  localDomain: string;
}

/** Hosts remembered as recorded in the store, so the inbox writes a host's first sighting once. */
const MAX_REMEMBERED = 10_000;

const SYSTEM: AuditActor = { kind: "system", id: "" };

/**
 * Probation of new peers (server/domain/defederation/probation.ts): records each host the first time
 * it appears, says whether it is on probation, and lets an admin vouch for a host or put it back.
 * Every start, end and vouch goes into the defederation audit log. The end of a probation by time is
 * recorded by the first read that finds it over (no timer), dated when it ended.
 */
export class PeerProbation {
  readonly #o: PeerProbationOptions;
  readonly #recorded = new Set<string>();

  constructor(o: PeerProbationOptions) {
    this.#o = o;
  }

  get days(): number {
    return this.#o.days;
  }

  /** Whether probation applies at all (PEER_PROBATION_DAYS > 0, blocklist mode). */
  get enabled(): boolean {
    return this.#o.days > 0 && this.#o.mode === "blocklist";
  }

  /**
   * Records a host seen now (a verified activity from it, a post by one of its actors): the first
   * time, it starts on probation when probation is on. Returns the stored record.
   */
  async observe(host: string): Promise<PeerDomain | null> {
    const domain = normalizeDomain(host);
    if (domain === null || domain === this.#o.localDomain) return null;
    if (this.#recorded.has(domain)) return null;
    const now = this.#o.clock();
    const fresh: PeerDomain = {
      domain,
      firstSeenAt: now,
      probationStart: this.enabled ? now : null,
      probationEnd: null,
      endedBy: null,
    };
    const { peer, created } = await this.#o.store.defederation.peers.firstSeen(fresh);
    if (created && peer.probationStart !== null) {
      await this.#audit(SYSTEM, "probation.start", domain, null, peer, "first seen", now);
      this.#o.logger.info("a new peer starts on probation", { domain, days: this.#o.days });
    }
    if (this.#recorded.size >= MAX_REMEMBERED) this.#recorded.clear();
    this.#recorded.add(domain);
    return peer;
  }

  /** Whether the host is on probation now; records it first seen when it is new. */
  async onProbation(host: string): Promise<boolean> {
    if (!this.enabled) return false;
    const domain = normalizeDomain(host);
    if (domain === null || domain === this.#o.localDomain) return false;
    await this.observe(domain);
    return (await this.status(domain)).onProbation;
  }

  /** Where the host stands now (an unknown host is not on probation: it is not a peer yet). */
  async status(host: string): Promise<ProbationView> {
    const domain = requireHost(host);
    return this.#view(domain, await this.#o.store.defederation.peers.get(domain));
  }

  /** The hosts on probation now, oldest first. */
  async list(): Promise<ProbationView[]> {
    const running = await this.#o.store.defederation.peers.listRunning();
    const out: ProbationView[] = [];
    for (const peer of running) {
      const view = await this.#view(peer.domain, peer);
      if (view.onProbation) out.push(view);
    }
    return out;
  }

  /**
   * Ends the host's probation now (an admin vouches for it). A host not seen yet is recorded as
   * vouched for: it will not start on probation when it appears. Vouching for a host not on
   * probation changes nothing and is not audited.
   */
  async vouch(host: string, actor: AuditActor, reason = ""): Promise<ProbationView> {
    const domain = requireHost(host);
    const now = this.#o.clock();
    const peers = this.#o.store.defederation.peers;
    const before = await peers.get(domain);
    const state = probationState(before, now, this.#o.days);
    if (before !== null && !state.onProbation) return this.#view(domain, before);
    const after: PeerDomain = {
      domain,
      firstSeenAt: before?.firstSeenAt ?? now,
      probationStart: before?.probationStart ?? null,
      probationEnd: before?.probationStart != null ? now : null,
      endedBy: before?.probationStart != null ? "vouch" : null,
    };
    await peers.put(after);
    this.#recorded.add(domain);
    await this.#audit(actor, "probation.vouch", domain, before, after, reason, now);
    return this.#view(domain, after);
  }

  /** Puts the host (back) on probation from now, for the configured period. */
  async restart(host: string, actor: AuditActor, reason = ""): Promise<ProbationView> {
    const domain = requireHost(host);
    if (!this.enabled) {
      throw new DomainError("unprocessable", "Probation is off (PEER_PROBATION_DAYS=0 or FEDERATION_MODE=allowlist).");
    }
    const now = this.#o.clock();
    const peers = this.#o.store.defederation.peers;
    const before = await peers.get(domain);
    if (probationState(before, now, this.#o.days).onProbation && before !== null) return this.#view(domain, before);
    const after: PeerDomain = {
      domain,
      firstSeenAt: before?.firstSeenAt ?? now,
      probationStart: now,
      probationEnd: null,
      endedBy: null,
    };
    await peers.put(after);
    this.#recorded.add(domain);
    await this.#audit(actor, "probation.start", domain, before, after, reason, now);
    return this.#view(domain, after);
  }

  async #view(domain: string, peer: PeerDomain | null): Promise<ProbationView> {
    let current = peer;
    const state = probationState(current, this.#o.clock(), this.#o.days);
    if (current !== null && state.expiredUnrecorded && this.#o.days > 0) {
      current = await this.#recordExpiry(current, state.until ?? this.#o.clock());
    }
    const final = probationState(current, this.#o.clock(), this.#o.days);
    return {
      domain,
      firstSeenAt: current?.firstSeenAt ?? null,
      endedBy: current?.endedBy ?? null,
      ...final,
      onProbation: final.onProbation && this.enabled,
    };
  }

  /** Records that the probation ran out at `at`; another process may have done it already. */
  async #recordExpiry(peer: PeerDomain, at: number): Promise<PeerDomain> {
    const peers = this.#o.store.defederation.peers;
    const latest = await peers.get(peer.domain);
    if (latest === null || latest.probationEnd !== null || latest.probationStart !== peer.probationStart) {
      return latest ?? peer;
    }
    const after: PeerDomain = { ...latest, probationEnd: at, endedBy: "expiry" };
    await peers.put(after);
    await this.#audit(SYSTEM, "probation.end", peer.domain, latest, after, "the probation period passed", at);
    return after;
  }

  async #audit(
    actor: AuditActor,
    action: AuditAction,
    domain: string,
    before: PeerDomain | null,
    after: PeerDomain | null,
    reason: string,
    at: number,
  ): Promise<void> {
    // Appended through the rules' transaction, the one writer of the audit log (it moves the rules'
    // version too, so other processes reload their rules: harmless, and rare next to inbound traffic).
    await this.#o.store.defederation.rules.apply(
      [],
      [
        {
          id: randomUUID(),
          at,
          actor,
          action,
          domain,
          before: before === null ? null : { ...before },
          after: after === null ? null : { ...after },
          reason,
          subscriptionId: null,
        },
      ],
    );
  }
}

function requireHost(host: string): string {
  const domain = typeof host === "string" ? normalizeDomain(host) : null;
  if (domain === null) throw new DomainError("invalid", "Not a domain name.");
  return domain;
}
