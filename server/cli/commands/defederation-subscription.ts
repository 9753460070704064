import { BLOCKLIST_FORMATS } from "../../domain/defederation-ports.js";
import { DomainError } from "../../domain/errors.js";
import { excludesField, formatField, priorityField } from "../../http/admin/defederation/fields.js";
import { subscriptionJson, syncResultJson } from "../../http/admin/defederation/representation.js";
import type { SubscriptionInput, SyncResult } from "../../services/defederation/types.js";
import { type CommandGroup, iso, stringOption, table } from "../command.js";
import { asUsage, CLI_ACTOR, defederationService, given, progressLines } from "./defederation-domain.js";

function summarize(r: SyncResult): string {
  const parts = [`${r.created} created`, `${r.updated} updated`, `${r.removed} removed`];
  if (r.staged > 0) parts.push(`${r.staged} staged as silence while followed`);
  if (r.errors > 0) parts.push(`${r.errors} line(s) skipped`);
  return `${r.draft ? "draft, would apply: " : ""}${parts.join(", ")}`;
}

export const subscriptionCommands: CommandGroup = {
  name: "subscription",
  summary: "follow remote blocklists that keep the domain rules up to date",
  subcommands: [
    {
      name: "add",
      summary: "subscribe to a blocklist",
      usage: "<url> [--format F] [--priority N] [--exclude D]... [--draft]",
      details: [
        `--format F          ${BLOCKLIST_FORMATS.join(", ")} (default auto: guessed from the content)`,
        "--priority N        higher first: the highest-priority list carrying a domain gives its comment",
        "--exclude D         never block this domain (or its subdomains) from this list; several as",
        "                    a comma-separated list (a, b)",
        "--draft             syncs only record what would change until it is applied (in /admin)",
        "The list is fetched by the server's periodic sync, or now with `atoll subscription sync <id>`.",
      ],
      options: {
        format: { type: "string", short: "f" },
        priority: { type: "string", short: "p" },
        exclude: { type: "string", multiple: true },
        draft: { type: "boolean" },
        json: { type: "boolean" },
      },
      positionals: { min: 1, max: 1, names: ["url"] },
      async run(ctx, args) {
        const helpFor = "subscription add";
        const options = {
          "--format": stringOption(args, "format"),
          "--priority": stringOption(args, "priority"),
          "--exclude": stringOption(args, "exclude"),
        };
        const input: SubscriptionInput = {
          url: args.positionals[0] as string,
          ...given(
            "format",
            asUsage(() => formatField(options, "--format"), helpFor),
          ),
          ...given(
            "priority",
            asUsage(() => priorityField(options, "--priority"), helpFor),
          ),
          ...given(
            "excludes",
            asUsage(() => excludesField(options, "--exclude"), helpFor),
          ),
          ...given("draft", args.values["draft"] === true ? true : undefined),
        };
        const domains = await defederationService(ctx);
        const sub = await domains.addSubscription(input, CLI_ACTOR);
        if (args.values["json"]) return ctx.out(JSON.stringify(subscriptionJson(sub)));
        ctx.out(`Subscribed ${sub.id} to ${sub.url}${sub.draft ? " (draft)" : ""}.`);
      },
    },
    {
      name: "list",
      summary: "list the subscribed blocklists with their last sync",
      usage: "[--json]",
      options: { json: { type: "boolean" } },
      positionals: { min: 0, max: 0, names: [] },
      async run(ctx, args) {
        const subs = await (await defederationService(ctx)).listSubscriptions();
        if (args.values["json"]) return ctx.out(JSON.stringify(subs.map(subscriptionJson)));
        if (subs.length === 0) {
          ctx.out("No subscriptions. Add one with: atoll subscription add <url>");
          return;
        }
        const rows = subs.map((sub) => [
          sub.id,
          sub.draft ? "draft" : "live",
          String(sub.priority),
          sub.format,
          sub.lastSyncAt === null ? "never" : iso(sub.lastSyncAt),
          sub.lastStatus ?? "-",
          sub.url,
        ]);
        for (const line of table(["ID", "STATE", "PRIORITY", "FORMAT", "LAST SYNC", "STATUS", "URL"], rows))
          ctx.out(line);
      },
    },
    {
      name: "sync",
      summary: "fetch one subscribed list now, or all of them, and bring the rules in line",
      usage: "[id] [--json]",
      details: [
        "[id]                the subscription; all of them when absent",
        "--json              print the sync results as the admin API does",
        "Progress is written to standard error. A draft subscription only records what would change.",
      ],
      options: { json: { type: "boolean" } },
      positionals: { min: 0, max: 1, names: ["id"] },
      async run(ctx, args) {
        const domains = await defederationService(ctx);
        const id = args.positionals[0];
        const ids = id !== undefined ? [id] : (await domains.listSubscriptions()).map((sub) => sub.id);
        if (ids.length === 0) {
          ctx.out("No subscriptions to sync.");
          return;
        }
        const results: SyncResult[] = [];
        const failed: string[] = [];
        for (const sub of ids) {
          try {
            const result = await domains.sync(sub, CLI_ACTOR, progressLines(ctx, `sync ${sub}: `));
            results.push(result);
            if (!args.values["json"]) ctx.out(`${sub}: ${summarize(result)}.`);
          } catch (err) {
            // With one id the error is the answer; with all, the others still sync.
            if (id !== undefined || !(err instanceof DomainError)) throw err;
            failed.push(sub);
            ctx.err(`${sub}: ${err.message}`);
          }
        }
        if (args.values["json"]) ctx.out(JSON.stringify(results.map(syncResultJson)));
        if (failed.length > 0)
          throw new DomainError("invalid", `${failed.length} of ${ids.length} lists failed to sync.`);
      },
    },
    {
      name: "remove",
      summary: "unsubscribe; rules only that list carried are retracted",
      usage: "<id>",
      options: {},
      positionals: { min: 1, max: 1, names: ["id"] },
      async run(ctx, args) {
        const id = args.positionals[0] as string;
        const result = await (await defederationService(ctx)).removeSubscription(id, CLI_ACTOR);
        ctx.out(`Removed subscription ${id}; ${result.removed} rule(s) retracted.`);
      },
    },
  ],
};
