/**
 * The domain-policy part of `npm run bench`: the cost of one `DomainPolicyIndex.check()` with a
 * small (100) and a large (20,000) rule set, and the time to parse a 20,000-row Mastodon CSV.
 * Everything is generated from a fixed seed, so runs compare like with like.
 */
import { parseMastodonCsv, toMastodonCsv } from "../../server/domain/defederation/blocklist-csv.js";
import { type DomainBlock, DomainPolicyIndex, type Severity } from "../../server/domain/defederation/rules.js";
import { seededRandom as random } from "../support/seeded-random.js";

const CHECKS = 1_000_000;
const NOW = 1_700_000_000_000;

const SYLLABLES = [
  "mas",
  "to",
  "don",
  "fedi",
  "verse",
  "soc",
  "ial",
  "ch",
  "an",
  "board",
  "kit",
  "ty",
  "net",
  "cafe",
  "zone",
];
const TLDS = ["social", "org", "net", "com", "xyz", "club", "online", "de", "fr", "jp", "io", "space"];
const SUBS = ["www", "media", "files", "cdn", "m", "relay", "mail", "a", "b", "static"];

function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)]!;
}

function domainName(rnd: () => number, i: number): string {
  let name = "";
  const parts = 2 + Math.floor(rnd() * 3);
  for (let p = 0; p < parts; p++) name += pick(rnd, SYLLABLES);
  return `${name}${i}.${pick(rnd, TLDS)}`;
}

function rules(rnd: () => number, count: number): DomainBlock[] {
  const out: DomainBlock[] = [];
  const severities: Severity[] = ["suspend", "suspend", "silence", "noop"];
  for (let i = 0; i < count; i++) {
    const domain = domainName(rnd, i);
    out.push({
      id: `r${i}`,
      domain,
      severity: pick(rnd, severities),
      rejectMedia: rnd() < 0.3,
      rejectReports: rnd() < 0.2,
      privateComment: "",
      publicComment: rnd() < 0.5 ? `Spam, harassment (${i})` : "",
      obfuscate: rnd() < 0.1,
      expiresAt: rnd() < 0.05 ? NOW + 86_400_000 : null,
      evidenceUrl: null,
      origin: rnd() < 0.5 ? "manual" : "subscription",
      stagedSeverity: null,
      createdAt: NOW,
      updatedAt: NOW,
    });
  }
  return out;
}

/** Hosts to check: half under a rule (at various depths), half on no rule at all. */
function hosts(rnd: () => number, blocks: readonly DomainBlock[], count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const depth = Math.floor(rnd() * 4);
    let host = rnd() < 0.5 ? pick(rnd, blocks).domain : domainName(rnd, 1_000_000 + i);
    for (let d = 0; d < depth; d++) host = `${pick(rnd, SUBS)}.${host}`;
    out.push(host);
  }
  return out;
}

function nsPerCheck(ruleCount: number, seed: number): number {
  const rnd = random(seed);
  const blocks = rules(rnd, ruleCount);
  const index = new DomainPolicyIndex({
    mode: "blocklist",
    blocks,
    allows: [],
    boardRules: [],
    localDomain: "atoll.example",
  });
  const sample = hosts(rnd, blocks, 4096);
  const mask = sample.length - 1;
  let suspended = 0;
  // Warm up, so the measurement is of optimised code.
  for (let i = 0; i < 100_000; i++) if (index.check(sample[i & mask]!, NOW).suspended) suspended++;
  const start = process.hrtime.bigint();
  for (let i = 0; i < CHECKS; i++) if (index.check(sample[i & mask]!, NOW).suspended) suspended++;
  const elapsed = Number(process.hrtime.bigint() - start);
  if (suspended === 0) throw new Error("bench: no host matched a rule");
  return elapsed / CHECKS;
}

function csvParseMs(): number {
  const csv = toMastodonCsv(rules(random(3), 20_000));
  parseMastodonCsv(csv); // warm-up
  const start = process.hrtime.bigint();
  const { entries } = parseMastodonCsv(csv);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (entries.length !== 20_000) throw new Error(`bench: parsed ${entries.length} of 20000 rows`);
  return ms;
}

export function policyBench(): { nsPerCheck100: number; nsPerCheck20k: number; csvImportParseMs: number } {
  return {
    nsPerCheck100: nsPerCheck(100, 1),
    nsPerCheck20k: nsPerCheck(20_000, 2),
    csvImportParseMs: csvParseMs(),
  };
}

/**
 * A Mastodon CSV of 20,000 rows imported through the moderation service into a fresh SQLite file:
 * parse, diff against the rules in force, one transaction with the audit entries, and the reload of
 * the compiled rules. Returns the wall time in ms.
 */
export async function csvImportMs(): Promise<number> {
  const { mkdtemp, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { openSqliteStore } = await import("../../storage/sqlite/store.js");
  const { DomainPolicy } = await import("../../server/services/defederation/rules-in-force.js");
  const { DefederationService } = await import("../../server/services/defederation/service.js");
  const { createLogger } = await import("../../server/services/logger.js");
  const dir = await mkdtemp(join(tmpdir(), "atoll-bench-domains-"));
  const store = openSqliteStore(join(dir, "atoll.db"));
  try {
    const clock = () => NOW;
    const policy = new DomainPolicy({ clock, mode: "blocklist", publicUrl: "https://bench.example" });
    const svc = new DefederationService({
      store,
      policy,
      clock,
      logger: createLogger("error", () => {}),
      purgeGraceMs: 0,
      syncIntervalMs: 3_600_000,
    });
    await svc.load();
    const csv = toMastodonCsv(rules(random(4), 20_000));
    const start = process.hrtime.bigint();
    const result = await svc.importCsv(csv, { kind: "cli", id: "" });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.applied !== 20_000) throw new Error(`bench: imported ${result.applied} of 20000 rows`);
    if (policy.index.size < 20_000) throw new Error("bench: the imported rules are not in force");
    return ms;
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}
