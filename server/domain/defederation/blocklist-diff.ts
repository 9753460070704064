import type { BlocklistEntry } from "../defederation-ports.js";
import { type DomainBlock, domainSuffixes, type Severity, severityRank, stricter } from "./rules.js";

/* What importing a list or syncing subscriptions would change in the instance's rules. Pure. */

export type DiffOptions = { mode: "import"; now?: number } | { mode: "sync"; origin: "subscription"; now?: number };

export interface RuleDiff {
  create: BlocklistEntry[];
  update: Array<{ before: DomainBlock; after: BlocklistEntry }>;
  remove: DomainBlock[];
  /** Wanted domains whose rule already says exactly that. */
  unchanged: number;
  /** Wanted domains left alone because another rule decides them (see `diffRules`). */
  skippedCovered: string[];
}

/** The severity a rule stands for: a staged rule's target, so staging does not read as a change. */
function intended(b: DomainBlock): Severity {
  return b.stagedSeverity ?? b.severity;
}

function sameAs(b: DomainBlock, e: BlocklistEntry): boolean {
  return (
    intended(b) === e.severity &&
    b.rejectMedia === e.rejectMedia &&
    b.rejectReports === e.rejectReports &&
    b.publicComment === e.publicComment &&
    b.obfuscate === e.obfuscate
  );
}

/** Whether a rule limits at least as much as the entry asks: severity and each flag it sets. */
function covers(b: DomainBlock, e: BlocklistEntry): boolean {
  const severity = intended(b);
  if (severityRank(severity) < severityRank(e.severity)) return false;
  if (e.rejectMedia && !(b.rejectMedia || severity === "suspend")) return false;
  if (e.rejectReports && !(b.rejectReports || severity === "suspend")) return false;
  return true;
}

function live(b: DomainBlock, now: number | undefined): boolean {
  return now === undefined || b.expiresAt === null || b.expiresAt > now;
}

/**
 * What an import or a sync would change. Results are ordered by domain.
 *
 * Import (a person's CSV import; never removes, never weakens):
 * - an existing rule on the domain that says exactly the same counts as unchanged;
 * - a domain covered by the most specific live rule on itself or a parent (any origin) that is as
 *   strict or stricter (severity, and each flag the entry sets) is skipped, as Mastodon skips
 *   "domains already covered";
 * - an existing rule on the domain that is milder is updated to the stricter severity, the flags
 *   OR'd, the entry's public comment (the rule's own when the entry has none), obfuscate OR'd;
 * - otherwise a rule is created.
 *
 * Sync (origin "subscription"; `wanted` is the consensus):
 * - rules with origin "manual" are never created over, updated or removed: a wanted domain with a
 *   manual rule on itself is skipped, and so is one a live manual rule on a parent covers;
 * - a subscription rule on a wanted domain is updated when it says something else (a staged rule
 *   is compared by the severity it is staged to), unchanged otherwise;
 * - missing ones are created; subscription rules whose domain is no longer wanted are removed.
 *
 * `now`, when given, makes expired rules cover nothing (an expired rule on the domain itself is
 * still the one updated, since there can be one rule per domain).
 */
export function diffRules(
  current: readonly DomainBlock[],
  wanted: ReadonlyMap<string, BlocklistEntry>,
  opts: DiffOptions,
): RuleDiff {
  const byDomain = new Map<string, DomainBlock>();
  for (const b of current) byDomain.set(b.domain, b);
  const sync = opts.mode === "sync";
  const diff: RuleDiff = { create: [], update: [], remove: [], unchanged: 0, skippedCovered: [] };
  const domains = [...wanted.keys()].sort();

  /** The most specific live rule on a parent of the domain that counts for this mode. */
  const parentRule = (domain: string): DomainBlock | null => {
    const suffixes = domainSuffixes(domain);
    for (let i = 1; i < suffixes.length; i++) {
      const b = byDomain.get(suffixes[i]!);
      if (b && live(b, opts.now)) return !sync || b.origin === "manual" ? b : null;
    }
    return null;
  };

  for (const domain of domains) {
    const entry = wanted.get(domain)!;
    const own = byDomain.get(domain);
    if (own) {
      if (sync && own.origin === "manual") {
        diff.skippedCovered.push(domain);
      } else if (sameAs(own, entry)) {
        diff.unchanged++;
      } else if (sync) {
        diff.update.push({ before: own, after: entry });
      } else if (live(own, opts.now) && covers(own, entry)) {
        diff.skippedCovered.push(domain);
      } else if (!live(own, opts.now)) {
        diff.update.push({ before: own, after: entry });
      } else {
        diff.update.push({
          before: own,
          after: {
            domain,
            severity: stricter(intended(own), entry.severity),
            rejectMedia: own.rejectMedia || entry.rejectMedia,
            rejectReports: own.rejectReports || entry.rejectReports,
            publicComment: entry.publicComment !== "" ? entry.publicComment : own.publicComment,
            obfuscate: own.obfuscate || entry.obfuscate,
          },
        });
      }
      continue;
    }
    const parent = parentRule(domain);
    if (parent && covers(parent, entry)) diff.skippedCovered.push(domain);
    else diff.create.push(entry);
  }

  if (sync) {
    for (const b of current) {
      if (b.origin === "subscription" && !wanted.has(b.domain)) diff.remove.push(b);
    }
    diff.remove.sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
  }
  return diff;
}
