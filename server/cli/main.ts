import { parseArgs } from "node:util";
import { closeMediaStore, openMediaStore } from "../../storage/media/open-media-store.js";
import { locateStore, openStore } from "../../storage/open.js";
import { createInstance, type Instance } from "../app.js";
import { ConfigError, loadConfig } from "../config.js";
import { checkDataDir, DataDirError } from "../data-dir.js";
import { isDomainError } from "../domain/errors.js";
import type { MediaStore } from "../domain/ports.js";
import { BoardService } from "../services/boards.js";
import { systemClock } from "../services/clock.js";
import { createLogger } from "../services/logger.js";
import { StaffService } from "../services/staff.js";
import type { CliContext, CliIO, CliServices, CommandGroup, Subcommand } from "./command.js";
import { UsageError } from "./command.js";
import { COMMANDS } from "./commands/index.js";
import { pipeSafe } from "./output.js";
import { confirmOnTerminal, promptHidden } from "./prompt.js";

export type { CliIO } from "./command.js";

/** Exit codes: success, a refused or failed operation, bad usage. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

function processIO(): CliIO {
  return {
    out: pipeSafe(process.stdout),
    err: pipeSafe(process.stderr),
    env: process.env,
    ...(process.stdin.isTTY ? { prompt: promptHidden } : {}),
    ...(process.stdin.isTTY && process.stderr.isTTY ? { confirm: confirmOnTerminal } : {}),
  };
}

/** The store would be created new and empty, and the operator did not confirm it. */
class NewStoreRefused extends Error {
  override readonly name = "NewStoreRefused";
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
  lines.push(
    "",
    "Options every command takes:",
    "  --yes, -y          confirm without asking: creating a new, empty store where none exists yet,",
    "                     and what a command asks to be confirmed (board delete)",
    "",
    "Run `atoll <command> --help` or `atoll <command> <subcommand> --help` for details.",
  );
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
  const state: { opened: Promise<CliServices> | null; instance: Promise<Instance> | null; media?: MediaStore } = {
    opened: null,
    instance: null,
  };
  const ctx: CliContext = {
    out,
    err,
    prompt: io.prompt ?? null,
    assumeYes: false,
    services() {
      state.opened ??= (async () => {
        const config = loadConfig(io.env ?? process.env);
        const location = await locateStore({ dataDir: config.dataDir, mongodbUrl: config.mongodbUrl });
        if (!location.exists && !ctx.assumeYes) {
          const question = `There is no Atoll store at ${location.where} yet. Create a new, empty one? (y/N) `;
          if (!io.confirm || !(await io.confirm(question))) {
            throw new NewStoreRefused(
              `there is no Atoll store at ${location.where}, and this command would create a new, empty one.\n` +
                "To work on a server's data, run it with the server's DATA_DIR (or MONGODB_URL); " +
                "to create a new store there, add --yes.",
            );
          }
        }
        await checkDataDir(config.dataDir, { sqlite: config.mongodbUrl === null });
        const store = await openStore({ dataDir: config.dataDir, mongodbUrl: config.mongodbUrl });
        const media = openMediaStore(config);
        state.media = media;
        return {
          config,
          store,
          boards: new BoardService(store, media, systemClock),
          staff: new StaffService({ store, clock: systemClock, adminToken: config.adminToken }),
        };
      })();
      return state.opened;
    },
    instance() {
      state.instance ??= (async () => {
        const { config, store } = await ctx.services();
        const logger = createLogger(config.logLevel, (line) => err(line.trimEnd()));
        return createInstance({ ...config, role: "web" }, { store, logger });
      })();
      return state.instance;
    },
  };

  const code = await run(ctx, argv);
  let closed = true;
  if (state.instance) {
    // A failure to build it was reported with the command's error.
    const instance = await state.instance.catch(() => null);
    try {
      // Closing the instance waits for what the command set going (the effects of a new rule).
      await instance?.close();
    } catch (e) {
      err(`atoll: ${e instanceof Error ? e.message : String(e)}`);
      closed = false;
    }
  }
  if (state.opened) {
    try {
      await (await state.opened).store.close();
    } catch {
      // The store never opened (the error was reported above) or is already closed.
    }
  }
  if (state.media) closeMediaStore(state.media);
  return closed ? code : EXIT.failed;
}

/** Runs the command; reports what went wrong on `err` and returns the exit code. */
async function run(ctx: CliContext, argv: string[]): Promise<number> {
  try {
    await dispatch(ctx, argv);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof UsageError) {
      ctx.err(`atoll: ${e.message}`);
      ctx.err(`Run \`${["atoll", e.helpFor, "--help"].filter(Boolean).join(" ")}\` for usage.`);
      return EXIT.usage;
    }
    if (e instanceof ConfigError || e instanceof DataDirError || e instanceof NewStoreRefused || isDomainError(e)) {
      ctx.err(`atoll: ${e.message}`);
      return EXIT.failed;
    }
    ctx.err(`atoll: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.failed;
  }
}

/** `--yes` anywhere before the command counts for the command. */
const YES = new Set(["--yes", "-y"]);

async function dispatch(ctx: CliContext, argv: string[]): Promise<void> {
  let i = 0;
  while (i < argv.length && YES.has(argv[i] as string)) i++;
  if (i > 0) ctx.assumeYes = true;
  const [first, second, ...rest] = argv.slice(i);
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
      options: { ...sub.options, yes: { type: "boolean", short: "y" }, help: { type: "boolean", short: "h" } },
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
  if (parsed.values["yes"] === true) ctx.assumeYes = true;
  const { min, max, names } = sub.positionals;
  if (parsed.positionals.length < min)
    throw new UsageError(`missing <${names[parsed.positionals.length] ?? "argument"}>.`, helpFor);
  if (parsed.positionals.length > max)
    throw new UsageError(`unexpected argument "${parsed.positionals[max]}".`, helpFor);
  const values: Record<string, string | boolean | undefined> = {};
  for (const [k, v] of Object.entries(parsed.values)) {
    if (k !== "yes" && k !== "help") values[k] = Array.isArray(v) ? String(v[v.length - 1]) : v;
  }
  await sub.run(ctx, { values, positionals: parsed.positionals });
}
