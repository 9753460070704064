/*
 * Probation of new peers. A host Atoll has never federated with starts on probation when it first
 * appears: its media is not fetched and its new threads wait for a moderator, until the probation
 * period passes or an admin vouches for it. Probation is per host (the normalised domain the rules
 * use), not per registrable domain: a fresh `spam.example.social` must not inherit what a
 * long-known `example.social` earned, and no public-suffix list is needed to tell them apart.
 */

export const DAY_MS = 86_400_000;

/** What the store keeps of one remote host, from the moment it was first seen. */
export interface PeerDomain {
  /** Normalised host. */
  domain: string;
  firstSeenAt: number;
  /**
   * When its current probation began; null when it never had one (it was known before probation
   * existed, probation was off when it appeared, or an admin vouched for it before it appeared).
   */
  probationStart: number | null;
  /** When the current probation was recorded as over (by a vouch or by the time passing); null while it runs. */
  probationEnd: number | null;
  /** How it ended: "vouch" or "expiry"; null while it runs or when there was none. */
  endedBy: "vouch" | "expiry" | null;
}

/** Where a host stands at a moment. */
export interface ProbationState {
  onProbation: boolean;
  /** When the current (or last) probation began, if it had one. */
  since: number | null;
  /** When it ends (or ended) by time alone; null when it had none. */
  until: number | null;
  /** Its probation period is over but that has not been recorded yet (the caller records it). */
  expiredUnrecorded: boolean;
}

/** The state of `peer` at `now`, with a probation of `days` days (0: no probation for anyone). */
export function probationState(peer: PeerDomain | null, now: number, days: number): ProbationState {
  if (peer === null || peer.probationStart === null) {
    return { onProbation: false, since: null, until: null, expiredUnrecorded: false };
  }
  const until = peer.probationStart + Math.round(days * DAY_MS);
  const running = peer.probationEnd === null;
  const onProbation = days > 0 && running && now < until;
  return {
    onProbation,
    since: peer.probationStart,
    until: running ? until : peer.probationEnd,
    expiredUnrecorded: running && !onProbation,
  };
}
