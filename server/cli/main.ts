import { join } from "node:path";
import { parseArgs } from "node:util";
import { FsMediaStore } from "../../storage/media/fs-media-store.js";
import { openStore } from "../../storage/open.js";
import { ConfigError, loadConfig } from "../config.js";
import { isDomainError } from "../domain/errors.js";
import { BoardService } from "../services/boards.js";
import { systemClock } from "../services/clock.js";
import { StaffService } from "../services/staff.js";
import type { CliContext, CliIO, CliServices, CommandGroup, Subcommand } from "./command.js";
import { UsageError } from "./command.js";
import { COMMANDS } from "./commands/index.js";
import { promptHidden } from "./prompt.js";

export type { CliIO } from "./command.js";

/** Exit codes: success, a refused or failed operation, bad usage. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

function processIO(): CliIO {
  return {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    env: process.env,
    ...(process.stdin.isTTY ? { prompt: promptHidden } : {}),
  };
}

function mainHelp(): string[] {
  const lines = [
    "Usage: atoll <command> <subcommand> [options]",
    "",
    "Administers an Atoll instance: works on the same store as the server (DATA_DIR, or MONGODB_URL),",
    "configured by the same environment variables.",
    "",
    "Commands:",
  ];
  for (const group of COMMANDS) {
    for (const sub of group.subcommands) lines.push(`  ${`${group.name} ${sub.name}`.padEnd(16)} ${sub.summary}`);
  }
  lines.push("", "Run `atoll <command> --help` or `atoll <command> <subcommand> --help` for details.");
  return lines;
}

function groupHelp(group: CommandGroup): string[] {
  return [
    `Usage: atoll ${group.name} <subcommand> [options]`,
    "",
    `${group.name[0]?.toUpperCase() ?? ""}${group.name.slice(1)} commands: ${group.summary}.`,
    "",
    ...group.subcommands.map(
      (sub) => `${`  atoll ${group.name} ${sub.name} ${sub.usage}`.trimEnd()}\n      ${sub.summary}`,
    ),
  ];
}

function subHelp(group: CommandGroup, sub: Subcommand): string[] {
  return [
    `Usage: atoll ${group.name} ${sub.name} ${sub.usage}`.trimEnd(),
    "",
    `${sub.summary[0]?.toUpperCase() ?? ""}${sub.summary.slice(1)}.`,
    ...(sub.details && sub.details.length > 0 ? ["", "Options:", ...sub.details.map((d) => `  ${d}`)] : []),
  ];
}

/**
 * The `atoll` command line: `atoll <command> <subcommand> [options]`. Returns the exit code; prints
 * results on `out` and messages on `err`. The store is opened only when a command needs it, and
 * closed before returning.
 */
export async function runCli(argv: string[], io: CliIO = processIO()): Promise<number> {
  const write = (sink: (s: string) => void) => (line: string) => sink(`${line}\n`);
  const out = write((s) => io.out(s));
  const err = write((s) => io.err(s));
  const state: { opened: Promise<CliServices> | null } = { opened: null };
  const ctx: CliContext = {
    out,
    err,
    prompt: io.prompt ?? null,
    services() {
      state.opened ??= (async () => {
        const config = loadConfig(io.env ?? process.env);
        const store = await openStore({ dataDir: config.dataDir, mongodbUrl: config.mongodbUrl });
        const media = new FsMediaStore(join(config.dataDir, "media"));
        return {
          config,
          store,
          boards: new BoardService(store, media, systemClock),
          staff: new StaffService({ store, clock: systemClock, adminToken: config.adminToken }),
        };
      })();
      return state.opened;
    },
  };

  try {
    await dispatch(ctx, argv);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`atoll: ${e.message}`);
      err(`Run \`${["atoll", e.helpFor, "--help"].filter(Boolean).join(" ")}\` for usage.`);
      return EXIT.usage;
    }
    if (e instanceof ConfigError) {
      err(`atoll: ${e.message}`);
      return EXIT.failed;
    }
    if (isDomainError(e)) {
      err(`atoll: ${e.message}`);
      return EXIT.failed;
    }
    err(`atoll: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.failed;
  } finally {
    if (state.opened) {
      try {
        await (await state.opened).store.close();
      } catch {
        // The store never opened (the error was reported above) or is already closed.
      }
    }
  }
}

async function dispatch(ctx: CliContext, argv: string[]): Promise<void> {
  const [first, second, ...rest] = argv;
  if (first === undefined) {
    for (const line of mainHelp()) ctx.err(line);
    throw new UsageError("a command is needed.", "");
  }
  if (first === "--help" || first === "-h" || (first === "help" && second === undefined)) {
    for (const line of mainHelp()) ctx.out(line);
    return;
  }
  if (first === "help") {
    // `atoll help board` and `atoll help board create` are `--help` in other words.
    return dispatch(ctx, [second as string, ...rest, "--help"]);
  }
  const group = COMMANDS.find((g) => g.name === first);
  if (!group) throw new UsageError(`unknown command "${first}".`, "");
  if (second === undefined || second === "--help" || second === "-h") {
    const lines = groupHelp(group);
    if (second === undefined) {
      for (const line of lines) ctx.err(line);
      throw new UsageError(`"${group.name}" needs a subcommand.`, group.name);
    }
    for (const line of lines) ctx.out(line);
    return;
  }
  const sub = group.subcommands.find((c) => c.name === second);
  if (!sub) throw new UsageError(`unknown subcommand "${group.name} ${second}".`, group.name);
  const helpFor = `${group.name} ${sub.name}`;

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...sub.options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e), helpFor);
  }
  if (parsed.values["help"]) {
    for (const line of subHelp(group, sub)) ctx.out(line);
    return;
  }
  const { min, max, names } = sub.positionals;
  if (parsed.positionals.length < min)
    throw new UsageError(`missing <${names[parsed.positionals.length] ?? "argument"}>.`, helpFor);
  if (parsed.positionals.length > max)
    throw new UsageError(`unexpected argument "${parsed.positionals[max]}".`, helpFor);
  const values: Record<string, string | boolean | undefined> = {};
  for (const [k, v] of Object.entries(parsed.values)) values[k] = Array.isArray(v) ? String(v[v.length - 1]) : v;
  await sub.run(ctx, { values, positionals: parsed.positionals });
}
