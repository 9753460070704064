import { normalizeDomain } from "../../domain/defederation/rules.js";
import type { AuditActor } from "../../domain/defederation-ports.js";
import { probationJson } from "../../http/admin/defederation/probation-view.js";
import type { PeerProbation, ProbationView } from "../../services/defederation/probation.js";
import { type CliContext, iso, type Subcommand, stringOption, table, UsageError } from "../command.js";

/* `atoll domain vouch`, `atoll domain probation`: probation of new peers from the command line. */

/** Recorded in the audit log as the command line, as the other domain commands are. */
const CLI_ACTOR: Readonly<AuditActor> = Object.freeze({ kind: "cli", id: "" });

async function probation(ctx: CliContext): Promise<PeerProbation> {
  return (await ctx.instance()).services.probation;
}

function hostArg(value: string, helpFor: string): string {
  const d = normalizeDomain(value);
  if (d === null) throw new UsageError(`"${value}" is not a domain name.`, helpFor);
  return d;
}

function describe(p: ProbationView): string {
  if (p.onProbation) return `${p.domain} is on probation since ${iso(p.since ?? 0)}, until ${iso(p.until ?? 0)}.`;
  if (p.endedBy === "vouch") return `${p.domain} is vouched for (probation ended ${iso(p.until ?? 0)}).`;
  if (p.endedBy === "expiry") return `${p.domain} is not on probation (it ended ${iso(p.until ?? 0)}).`;
  return p.firstSeenAt === null ? `${p.domain} has not been seen yet.` : `${p.domain} is not on probation.`;
}

export const probationCommands: Subcommand[] = [
  {
    name: "vouch",
    summary: "end a new peer's probation now (or spare a domain not seen yet from it)",
    usage: "<domain> [--reason T]",
    options: { reason: { type: "string" } },
    positionals: { min: 1, max: 1, names: ["domain"] },
    async run(ctx, args) {
      const domain = hostArg(args.positionals[0] as string, "domain vouch");
      const view = await (await probation(ctx)).vouch(domain, CLI_ACTOR, stringOption(args, "reason") ?? "");
      ctx.out(describe(view));
    },
  },
  {
    name: "probation",
    summary: "list the domains on probation, show one, or put one (back) on probation",
    usage: "[domain] [--restart] [--reason T] [--json]",
    details: [
      "[domain]            show this domain's probation; all domains on probation when absent",
      "--restart           put the domain on probation from now, for PEER_PROBATION_DAYS",
      "--json              as the admin API shows it",
    ],
    options: { restart: { type: "boolean" }, reason: { type: "string" }, json: { type: "boolean" } },
    positionals: { min: 0, max: 1, names: ["domain"] },
    async run(ctx, args) {
      const service = await probation(ctx);
      const given = args.positionals[0];
      if (given === undefined) {
        if (args.values["restart"]) throw new UsageError("--restart needs a domain.", "domain probation");
        const list = await service.list();
        if (args.values["json"]) return ctx.out(JSON.stringify(list.map(probationJson)));
        if (list.length === 0) return ctx.out("No domain is on probation.");
        const rows = list.map((p) => [p.domain, iso(p.since ?? 0), iso(p.until ?? 0)]);
        for (const line of table(["DOMAIN", "SINCE", "UNTIL"], rows)) ctx.out(line);
        return;
      }
      const domain = hostArg(given, "domain probation");
      const view = args.values["restart"]
        ? await service.restart(domain, CLI_ACTOR, stringOption(args, "reason") ?? "")
        : await service.status(domain);
      ctx.out(args.values["json"] ? JSON.stringify(probationJson(view)) : describe(view));
    },
  },
];
