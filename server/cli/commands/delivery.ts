import { createInstance } from "../../app.js";
import { DomainError } from "../../domain/errors.js";
import { droppedJson, inboundJson, pendingJson, recordNumber } from "../../http/admin/deliveries.js";
import { age } from "../../http/admin/delivery-pages.js";
import type { DeliveryActions } from "../../services/delivery-actions.js";
import { createLogger } from "../../services/logger.js";
import { type CliContext, type CommandGroup, iso, stringOption, table, UsageError } from "../command.js";
import { deliveryStatsCommand } from "./delivery-stats.js";

/**
 * Runs `work` with the delivery actions over the command line's store. The instance is built as a
 * web-only process (ATOLL_ROLE=web), so nothing is sent from here: what is queued again is sent by
 * the running server's delivery worker within a second. The instance is closed before returning.
 */
async function withDeliveries<T>(ctx: CliContext, work: (actions: DeliveryActions) => Promise<T>): Promise<T> {
  const { config, store } = await ctx.services();
  if (!config.federation) throw new DomainError("conflict", "Federation is off on this instance (FEDERATION=off).");
  const logger = createLogger(config.logLevel === "debug" ? "debug" : "warn", (line) => ctx.err(line.trimEnd()));
  const instance = await createInstance({ ...config, role: "web" }, { store, logger });
  try {
    const actions = instance.services.deliveries;
    if (!actions) throw new DomainError("conflict", "Federation is off on this instance (FEDERATION=off).");
    return await work(actions);
  } finally {
    await instance.close(0);
  }
}

function limitOption(value: string | undefined): number {
  if (value === undefined) return 100;
  if (!/^[0-9]{1,6}$/.test(value) || Number(value) < 1)
    throw new UsageError("--limit: a whole number from 1.", "delivery list");
  return Number(value);
}

export const deliveryCommands: CommandGroup = {
  name: "delivery",
  summary: "see the outbound delivery queue and send dropped deliveries again",
  subcommands: [
    deliveryStatsCommand,
    {
      name: "list",
      summary: "list what waits per destination inbox, the dropped deliveries, or what was received",
      usage: "[--dropped] [--inbound] [--domain d] [--limit n] [--json]",
      details: [
        "--dropped           the deliveries given up on, newest first (default: the backlog per inbox)",
        "--inbound           activities received but not yet acted on (their origin out of reach);",
        "                    with --dropped, those given up on after 7 days",
        "--domain d          only those for this domain",
        "--limit n           at most n rows (default 100)",
        "--json              print JSON, as the admin API answers",
      ],
      options: {
        dropped: { type: "boolean" },
        inbound: { type: "boolean" },
        domain: { type: "string" },
        limit: { type: "string" },
        json: { type: "boolean" },
      },
      positionals: { min: 0, max: 0, names: [] },
      async run(ctx, args) {
        const domain = stringOption(args, "domain");
        const limit = limitOption(stringOption(args, "limit"));
        const filter = domain === undefined ? {} : { domain };
        await withDeliveries(ctx, async (actions) => {
          const now = Date.now();
          if (args.values["inbound"]) {
            if (domain !== undefined) throw new UsageError("--domain is not a filter of --inbound.", "delivery list");
            const failed = args.values["dropped"] === true;
            const list = await actions.inbound({ failed, limit });
            if (args.values["json"]) return ctx.out(JSON.stringify(list.map(inboundJson)));
            if (list.length === 0) {
              return ctx.out(
                failed ? "No received activity was given up on." : "Nothing received waits for another try.",
              );
            }
            const rows = list.map((i) => [
              i.id,
              i.signer,
              age(now - i.receivedAt),
              String(i.attempts),
              failed ? iso(i.failedAt ?? 0) : iso(i.nextAttemptAt),
              i.lastError,
            ]);
            const head = ["ACTIVITY", "FROM", "AGE", "TRIES", failed ? "GIVEN UP" : "NEXT", "ERROR"];
            for (const line of table(head, rows)) ctx.out(line);
            if (failed)
              ctx.out("Try one again with `atoll delivery retry --inbound <activity>`, all with `--inbound --all`.");
            return;
          }
          if (args.values["dropped"]) {
            const list = await actions.dropped({ limit, ...filter });
            if (args.values["json"]) return ctx.out(JSON.stringify(list.map(droppedJson)));
            if (list.length === 0) return ctx.out("No dropped deliveries.");
            const rows = list.map((d) => [
              String(d.seq),
              iso(d.droppedAt),
              d.domain,
              d.inbox,
              String(d.attempts),
              d.body === "" ? `(no body) ${d.lastError}` : d.lastError,
            ]);
            for (const line of table(["ID", "DROPPED", "DOMAIN", "INBOX", "TRIES", "ERROR"], rows)) ctx.out(line);
            ctx.out("Send one again with `atoll delivery retry <id>`, a domain's with `--domain d`.");
            return;
          }
          const list = await actions.pending({ limit, ...filter });
          if (args.values["json"]) return ctx.out(JSON.stringify(list.map((p) => pendingJson(p, now))));
          if (list.length === 0) return ctx.out("Nothing is waiting to be delivered.");
          const rows = list.map((p) => [
            p.domain,
            p.inbox,
            String(p.items),
            age(now - p.oldestCreatedAt),
            String(p.headAttempts),
            p.inFlight ? "sending" : p.held ? "held for its domain" : iso(p.nextAttemptAt),
            p.lastError ?? "",
          ]);
          for (const line of table(["DOMAIN", "INBOX", "ITEMS", "OLDEST", "TRIES", "NEXT", "LAST ERROR"], rows)) {
            ctx.out(line);
          }
        });
      },
    },
    {
      name: "retry",
      summary: "send dropped deliveries again (one, a domain's, or all), or retry received activities",
      usage: "<id> | --domain d | --all | --inbound (<activity> | --all)",
      details: [
        "<id>                the dropped delivery's id (see `atoll delivery list --dropped`)",
        "--domain d          every dropped delivery of the domain",
        "--all               every dropped delivery; those of suspended domains stay dropped",
        "Each is queued again at the end of its inbox, as new; the running server sends it. Nothing is",
        "queued for a domain suspended now.",
        "--inbound           received activities given up on instead: <activity> is the activity's id",
        "                    (see `atoll delivery list --inbound --dropped`); each is tried again from now",
      ],
      options: { domain: { type: "string" }, all: { type: "boolean" }, inbound: { type: "boolean" } },
      positionals: { min: 0, max: 1, names: ["id"] },
      async run(ctx, args) {
        const id = args.positionals[0];
        const domain = stringOption(args, "domain");
        const all = args.values["all"] === true;
        if ([id !== undefined, domain !== undefined, all].filter(Boolean).length !== 1) {
          throw new UsageError("Give one of <id>, --domain d or --all.", "delivery retry");
        }
        if (args.values["inbound"] && domain !== undefined) {
          throw new UsageError("--domain is not a filter of --inbound.", "delivery retry");
        }
        await withDeliveries(ctx, async (actions) => {
          if (args.values["inbound"]) {
            if (id !== undefined) {
              await actions.retryInbound(id);
              return ctx.out(`Tried again within seconds by the running server: ${id}.`);
            }
            const n = await actions.retryAllInbound();
            return ctx.out(`${n} received ${n === 1 ? "activity" : "activities"} given up on will be tried again.`);
          }
          if (id !== undefined) {
            const d = await actions.retry(recordNumber(id, "id"));
            ctx.out(`Queued again: ${d.activityId} for ${d.inbox}.`);
            return;
          }
          const outcome = domain === undefined ? await actions.retryAll() : await actions.retryDomain(domain);
          ctx.out(
            `Queued ${outcome.queued} dropped ${outcome.queued === 1 ? "delivery" : "deliveries"} again` +
              `${domain === undefined ? "" : ` for ${domain}`}.` +
              (outcome.refused > 0
                ? ` ${outcome.refused} stay dropped (suspended domain, or kept without a body).`
                : ""),
          );
        });
      },
    },
  ],
};
