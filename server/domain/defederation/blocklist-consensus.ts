import type { BlocklistEntry, ConsensusSettings } from "../defederation-ports.js";
import { DomainError } from "../errors.js";
import { quote } from "./blocklist-reading.js";
import { domainSuffixes, milder, normalizeDomain, stricter } from "./rules.js";

/* How several subscribed blocklists combine into the entries the instance should hold. Pure. */

export interface ConsensusSource {
  id: string;
  priority: number;
  /** Domains (and their subdomains) this source never contributes. */
  excludes: readonly string[];
  entries: readonly BlocklistEntry[];
}

export interface ConsensusEntry {
  entry: BlocklistEntry;
  /** The sources listing the domain, highest priority first (ties: lowest id first). */
  sources: string[];
}

function checkConsensus(settings: ConsensusSettings): void {
  const { minSources, minShare, merge } = settings;
  if (!Number.isInteger(minSources) || minSources < 1) {
    throw new DomainError("invalid", "minSources must be a whole number from 1.");
  }
  if (minShare !== null && !(typeof minShare === "number" && minShare > 0 && minShare <= 1)) {
    throw new DomainError("invalid", "minShare must be in (0, 1], or null.");
  }
  if (merge !== "strictest" && merge !== "mildest") {
    throw new DomainError("invalid", "merge must be strictest or mildest.");
  }
}

/**
 * Combines subscribed lists into the entries the instance should hold.
 *
 * - A source's `excludes` remove a domain and its subdomains (whole labels) from that source's
 *   contribution only: another source listing the domain still counts. (An instance-wide exemption
 *   is a manual rule, which syncs never touch.)
 * - A domain is kept when the number of sources listing it (the domain itself, not a parent) is at
 *   least `minSources` and, when `minShare` is set, that number over all sources given (empty ones
 *   included) is at least `minShare`.
 * - Severity: the strictest or the mildest of what the listing sources say. The flags are OR'd for
 *   `strictest` and AND'ed for `mildest`; when combining, a suspend counts as rejecting media and
 *   reports (it does), and a merged suspend keeps the flags its sources wrote OR'd. A domain only one
 *   source lists comes out exactly as that source lists it.
 * - Public comment and obfuscate come from the highest-priority source listing it (ties: the lowest
 *   id), which is also first in `sources`.
 * Two sources with one id, or settings out of range: DomainError("invalid"). The result is ordered
 * by domain.
 */
export function mergeConsensus(
  sources: ReadonlyArray<ConsensusSource>,
  settings: ConsensusSettings,
): Map<string, ConsensusEntry> {
  checkConsensus(settings);
  const ids = new Set<string>();
  for (const s of sources) {
    if (ids.has(s.id)) throw new DomainError("invalid", `Two sources have the id ${quote(s.id)}.`);
    ids.add(s.id);
  }
  const ordered = [...sources].sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const listed = new Map<string, { source: string; entry: BlocklistEntry }[]>();
  for (const source of ordered) {
    const excludes = new Set<string>();
    for (const e of source.excludes) excludes.add(normalizeDomain(e) ?? e);
    const own = new Map<string, BlocklistEntry>();
    for (const entry of source.entries) {
      if (excludes.size > 0 && domainSuffixes(entry.domain).some((d) => excludes.has(d))) continue;
      own.set(entry.domain, entry);
    }
    for (const [domain, entry] of own) {
      let list = listed.get(domain);
      if (!list) {
        list = [];
        listed.set(domain, list);
      }
      list.push({ source: source.id, entry });
    }
  }
  const total = sources.length;
  const strictest = settings.merge === "strictest";
  const kept: [string, ConsensusEntry][] = [];
  for (const [domain, list] of listed) {
    const count = list.length;
    if (count < settings.minSources) continue;
    if (settings.minShare !== null && count / total < settings.minShare) continue;
    const first = list[0]!.entry;
    let severity = first.severity;
    let media = first.rejectMedia || first.severity === "suspend";
    let reports = first.rejectReports || first.severity === "suspend";
    let rawMedia = first.rejectMedia;
    let rawReports = first.rejectReports;
    for (let i = 1; i < count; i++) {
      const e = list[i]!.entry;
      const m = e.rejectMedia || e.severity === "suspend";
      const r = e.rejectReports || e.severity === "suspend";
      if (strictest) {
        severity = stricter(severity, e.severity);
        media ||= m;
        reports ||= r;
      } else {
        severity = milder(severity, e.severity);
        media &&= m;
        reports &&= r;
      }
      rawMedia ||= e.rejectMedia;
      rawReports ||= e.rejectReports;
    }
    if (severity === "suspend") {
      media = rawMedia;
      reports = rawReports;
    }
    kept.push([
      domain,
      {
        entry: {
          domain,
          severity,
          rejectMedia: media,
          rejectReports: reports,
          publicComment: first.publicComment,
          obfuscate: first.obfuscate,
        },
        sources: list.map((l) => l.source),
      },
    ]);
  }
  kept.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return new Map(kept);
}

/** The entries of a consensus, by domain, as `diffRules` takes them. */
export function consensusEntries(merged: ReadonlyMap<string, ConsensusEntry>): Map<string, BlocklistEntry> {
  const out = new Map<string, BlocklistEntry>();
  for (const [domain, { entry }] of merged) out.set(domain, entry);
  return out;
}
