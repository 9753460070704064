import { readFile, writeFile } from "node:fs/promises";
import { normalizeDomain } from "../../domain/defederation/rules.js";
import type { AuditActor } from "../../domain/defederation-ports.js";
import { DomainError } from "../../domain/errors.js";
import { expiryField, severityField } from "../../http/admin/defederation/fields.js";
import {
  auditCsv,
  auditJson,
  domainAllowJson,
  domainBlockJson,
  importJson,
} from "../../http/admin/defederation/representation.js";
import type { DefederationService } from "../../services/defederation/service.js";
import type { BlockInput, Progress } from "../../services/defederation/types.js";
import {
  type CliContext,
  type CommandGroup,
  iso,
  type ParsedArgs,
  stringOption,
  table,
  UsageError,
} from "../command.js";
import { probationCommands } from "./domain-probation.js";

/** Changes made from the command line are recorded as such in the audit log. */
export const CLI_ACTOR: Readonly<AuditActor> = Object.freeze({ kind: "cli", id: "" });

/**
 * Defederation over the command line's store, through the command line's instance (a web-only
 * process: nothing runs in the background): a change is stored with its audit entry and the effects
 * this process can carry out, which finish before the command returns, and a running server on the
 * same store picks the new rules up within seconds.
 */
export async function defederationService(ctx: CliContext): Promise<DefederationService> {
  return (await ctx.instance()).services.defederation;
}

/** Reads a file, or standard input for `-`. */
export async function readInput(path: string): Promise<string> {
  try {
    if (path === "-") {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    }
    return await readFile(path, "utf8");
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new DomainError("not_found", `Cannot read ${path === "-" ? "standard input" : path}: ${why}`);
  }
}

/** Progress of long work, as lines on standard error. */
export function progressLines(ctx: CliContext, prefix: string): Progress {
  let last = "";
  return (step, done, total) => {
    const line = `${prefix}${step} ${done}/${total}`;
    if (line !== last) ctx.err(line);
    last = line;
  };
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** A duration such as `90m`, `12h`, `30d`, `2w` or plain seconds, in seconds. */
export function parseDuration(value: string): number | null {
  const m = /^([1-9][0-9]{0,9})([smhdw]?)$/.exec(value.trim().toLowerCase());
  if (!m) return null;
  const seconds = Number(m[1]) * (UNITS[m[2] || "s"] ?? 1);
  return seconds <= 100 * 366 * 86_400 ? seconds : null;
}

/** Reads options with the admin API's field reader; a value it refuses is bad usage. */
export function asUsage<T>(read: () => T, helpFor: string): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof DomainError) throw new UsageError(err.message, helpFor);
    throw err;
  }
}

/** The expiry the options ask for, undefined for none. */
function expiryOf(args: ParsedArgs, now: number, helpFor: string): number | undefined {
  const at = stringOption(args, "expires");
  const within = stringOption(args, "expires-in");
  const seconds = within === undefined ? undefined : parseDuration(within);
  if (seconds === null) throw new UsageError(`--expires-in "${within}" is not a duration such as 12h or 30d.`, helpFor);
  const keys = { at: "--expires", within: "--expires-in" };
  const expiry = asUsage(() => expiryField({ "--expires": at, "--expires-in": seconds }, now, keys), helpFor);
  return expiry ?? undefined;
}

/** The option when it was given; absent ones are left to the service's defaults. */
export function given<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function flags(b: { rejectMedia: boolean; rejectReports: boolean; obfuscate: boolean }): string {
  const out: string[] = [];
  if (b.rejectMedia) out.push("media");
  if (b.rejectReports) out.push("reports");
  if (b.obfuscate) out.push("obfuscate");
  return out.join(",") || "-";
}

function domainArg(value: string, helpFor: string): string {
  const d = normalizeDomain(value);
  if (d === null) throw new UsageError(`"${value}" is not a domain name.`, helpFor);
  return d;
}

export const domainCommands: CommandGroup = {
  name: "domain",
  summary:
    "block and allow other servers (defederation), import and export blocklists, read the audit log, vouch for new peers",
  subcommands: [
    ...probationCommands,
    {
      name: "block",
      summary: "block a domain and its subdomains",
      usage:
        "<domain> [--severity S] [--reject-media] [--reject-reports] [--public-comment T] [--private-comment T] [--obfuscate] [--expires ISO|--expires-in DURATION] [--evidence URL]",
      details: [
        "--severity S          suspend (default: exchange nothing), silence (hide from listings, hold",
        "                      new threads) or noop (only the flags below)",
        "--reject-media        do not store the domain's files",
        "--reject-reports      ignore reports from the domain",
        "--public-comment T    the reason shown on /about/moderation and in the public API",
        "--private-comment T   a note for staff only",
        "--obfuscate           mask the domain in public lists",
        "--expires ISO         the rule ends at this time (ISO 8601; UTC when no zone is given)",
        "--expires-in D        ... or after this long: 3600, 90m, 12h, 30d, 2w",
        "--evidence URL        a link to the evidence behind the rule",
      ],
      options: {
        severity: { type: "string", short: "s" },
        "reject-media": { type: "boolean" },
        "reject-reports": { type: "boolean" },
        "public-comment": { type: "string" },
        "private-comment": { type: "string" },
        obfuscate: { type: "boolean" },
        expires: { type: "string" },
        "expires-in": { type: "string" },
        evidence: { type: "string" },
        json: { type: "boolean" },
      },
      positionals: { min: 1, max: 1, names: ["domain"] },
      async run(ctx, args) {
        const helpFor = "domain block";
        const domain = domainArg(args.positionals[0] as string, helpFor);
        const severity = asUsage(
          () => severityField({ "--severity": stringOption(args, "severity") }, "--severity"),
          helpFor,
        );
        const flag = (name: string) => (args.values[name] === true ? true : undefined);
        const input: BlockInput = {
          domain,
          ...given("severity", severity),
          ...given("rejectMedia", flag("reject-media")),
          ...given("rejectReports", flag("reject-reports")),
          ...given("obfuscate", flag("obfuscate")),
          ...given("publicComment", stringOption(args, "public-comment")),
          ...given("privateComment", stringOption(args, "private-comment")),
          ...given("expiresAt", expiryOf(args, Date.now(), helpFor)),
          ...given("evidenceUrl", stringOption(args, "evidence")),
        };
        const domains = await defederationService(ctx);
        const block = await domains.createBlock(input, CLI_ACTOR);
        if (args.values["json"]) return ctx.out(JSON.stringify(domainBlockJson(block)));
        ctx.out(
          `Blocked ${block.domain} (${block.severity}${block.expiresAt === null ? "" : `, until ${iso(block.expiresAt)}`}).`,
        );
      },
    },
    {
      name: "unblock",
      summary: "remove the block on a domain",
      usage: "<domain>",
      options: {},
      positionals: { min: 1, max: 1, names: ["domain"] },
      async run(ctx, args) {
        const domain = domainArg(args.positionals[0] as string, "domain unblock");
        const domains = await defederationService(ctx);
        const block = (await domains.listBlocks()).find((b) => b.domain === domain);
        if (!block) throw new DomainError("not_found", `${domain} is not blocked.`);
        await domains.deleteBlock(block.id, CLI_ACTOR);
        ctx.out(`Unblocked ${domain}.`);
      },
    },
    {
      name: "list",
      summary: "list the blocked and allowed domains",
      usage: "[--json]",
      details: ["--json              print { blocks, allows } in the admin API's shapes"],
      options: { json: { type: "boolean" } },
      positionals: { min: 0, max: 0, names: [] },
      async run(ctx, args) {
        const domains = await defederationService(ctx);
        const [blocks, allows] = await Promise.all([domains.listBlocks(), domains.listAllows()]);
        if (args.values["json"]) {
          ctx.out(JSON.stringify({ blocks: blocks.map(domainBlockJson), allows: allows.map(domainAllowJson) }));
          return;
        }
        if (blocks.length === 0) ctx.out("No blocked domains.");
        else {
          const rows = blocks.map((b) => [
            b.domain,
            b.stagedSeverity ? `${b.severity}->${b.stagedSeverity}` : b.severity,
            flags(b),
            b.origin,
            b.expiresAt === null ? "never" : iso(b.expiresAt),
            b.publicComment,
          ]);
          for (const line of table(["DOMAIN", "SEVERITY", "FLAGS", "ORIGIN", "EXPIRES", "PUBLIC COMMENT"], rows))
            ctx.out(line);
        }
        if (allows.length > 0 || domains.policy.mode === "allowlist") {
          ctx.out("");
          ctx.out(
            domains.policy.mode === "allowlist"
              ? "Allowed domains (allowlist mode: only these federate):"
              : "Allowed domains (used in allowlist mode):",
          );
          if (allows.length === 0) ctx.out("  none");
          for (const a of allows) ctx.out(`  ${a.domain}${a.comment ? `  ${a.comment}` : ""}`);
        }
      },
    },
    {
      name: "allow",
      summary: "allow a domain to federate (allowlist mode)",
      usage: "<domain> [--comment T]",
      options: { comment: { type: "string" } },
      positionals: { min: 1, max: 1, names: ["domain"] },
      async run(ctx, args) {
        const domain = domainArg(args.positionals[0] as string, "domain allow");
        const domains = await defederationService(ctx);
        const allow = await domains.createAllow(
          { domain, ...given("comment", stringOption(args, "comment")) },
          CLI_ACTOR,
        );
        ctx.out(`Allowed ${allow.domain}.`);
        if (domains.policy.mode !== "allowlist") {
          ctx.err("Note: FEDERATION_MODE is blocklist; allows take effect in allowlist mode.");
        }
      },
    },
    {
      name: "disallow",
      summary: "remove a domain from the allowlist",
      usage: "<domain>",
      options: {},
      positionals: { min: 1, max: 1, names: ["domain"] },
      async run(ctx, args) {
        const domain = domainArg(args.positionals[0] as string, "domain disallow");
        const domains = await defederationService(ctx);
        const allow = (await domains.listAllows()).find((a) => a.domain === domain);
        if (!allow) throw new DomainError("not_found", `${domain} is not on the allowlist.`);
        await domains.deleteAllow(allow.id, CLI_ACTOR);
        ctx.out(`${domain} is no longer allowed.`);
      },
    },
    {
      name: "import",
      summary: "import domain blocks from a Mastodon CSV (adds and tightens rules, never removes)",
      usage: "<file|-> [--dry-run] [--json]",
      details: [
        "<file|->            the CSV (header #domain,#severity,#reject_media,#reject_reports,",
        "                    #public_comment,#obfuscate), or - for standard input",
        "--dry-run           show what would change, change nothing",
        "--json              print the summary as the admin API's import answer",
      ],
      options: { "dry-run": { type: "boolean" }, json: { type: "boolean" } },
      positionals: { min: 1, max: 1, names: ["file"] },
      async run(ctx, args) {
        const csv = await readInput(args.positionals[0] as string);
        const domains = await defederationService(ctx);
        const dry = args.values["dry-run"] === true;
        const result = dry
          ? await domains.previewImport(csv)
          : await domains.importCsv(csv, CLI_ACTOR, progressLines(ctx, "import: "));
        if (args.values["json"]) return ctx.out(JSON.stringify(importJson(result, dry)));
        for (const e of result.errors.slice(0, 50)) ctx.err(`line ${e.line}: ${e.message}`);
        if (result.errors.length > 50) ctx.err(`... and ${result.errors.length - 50} more lines with errors`);
        for (const x of result.severs) ctx.out(`would sever ${x.follows} follow(s) with ${x.domain}`);
        const counts =
          `${result.create.length} new, ${result.update.length} made stricter, ${result.unchanged} unchanged, ` +
          `${result.skippedCovered.length} already covered, ${result.errors.length} line(s) with errors`;
        ctx.out(dry ? `Dry run: would apply ${counts}.` : `Imported: ${counts}.`);
      },
    },
    {
      name: "export",
      summary: "export the domain blocks as a Mastodon CSV",
      usage: "[file]",
      details: ["[file]              where to write it; standard output when absent"],
      options: {},
      positionals: { min: 0, max: 1, names: ["file"] },
      async run(ctx, args) {
        const csv = await (await defederationService(ctx)).exportCsv();
        const file = args.positionals[0];
        if (file === undefined || file === "-") {
          for (const line of csv.trimEnd().split("\n")) ctx.out(line);
          return;
        }
        await writeFile(file, csv, "utf8");
        ctx.err(`Wrote ${csv.trimEnd().split("\n").length - 1} rule(s) to ${file}.`);
      },
    },
    {
      name: "audit",
      summary: "show the audit log of domain rule changes, newest first",
      usage: "[--domain D] [--limit N] [--csv] [--json]",
      details: [
        "--domain D          only changes about this domain",
        "--limit N           at most N entries (default 50; with --csv, the whole log)",
        "--csv               the log as CSV, oldest first",
        "--json              the entries as the admin API shows them",
      ],
      options: {
        domain: { type: "string" },
        limit: { type: "string", short: "n" },
        csv: { type: "boolean" },
        json: { type: "boolean" },
      },
      positionals: { min: 0, max: 0, names: [] },
      async run(ctx, args) {
        const helpFor = "domain audit";
        const limitText = stringOption(args, "limit");
        if (limitText !== undefined && !/^[1-9][0-9]{0,5}$/.test(limitText)) {
          throw new UsageError("--limit is a whole number from 1.", helpFor);
        }
        const domainText = stringOption(args, "domain");
        const domain = domainText === undefined ? undefined : domainArg(domainText, helpFor);
        const domains = await defederationService(ctx);
        if (args.values["csv"]) {
          let entries = await domains.auditExport();
          if (domain !== undefined) entries = entries.filter((e) => e.domain === domain);
          if (limitText !== undefined) entries = entries.slice(-Number(limitText));
          for (const line of auditCsv(entries).trimEnd().split("\n")) ctx.out(line);
          return;
        }
        const entries = await domains.audit({
          limit: limitText === undefined ? 50 : Number(limitText),
          ...(domain !== undefined ? { domain } : {}),
        });
        if (args.values["json"]) return ctx.out(JSON.stringify(entries.map(auditJson)));
        if (entries.length === 0) return ctx.out("No audit entries.");
        const rows = entries.map((e) => [
          iso(e.at),
          e.actor.id ? `${e.actor.kind}:${e.actor.id}` : e.actor.kind,
          e.action,
          e.domain || "-",
          e.subscriptionId ?? "-",
          e.reason,
        ]);
        for (const line of table(["AT", "ACTOR", "ACTION", "DOMAIN", "SUBSCRIPTION", "REASON"], rows)) ctx.out(line);
      },
    },
  ],
};
