import type { ParseArgsConfig } from "node:util";
import type { Instance } from "../app.js";
import type { Config } from "../config.js";
import type { Store } from "../domain/ports.js";
import type { BoardService } from "../services/boards.js";
import type { StaffService } from "../services/staff.js";

/** Where the command line tool writes, and what it reads from its surroundings. */
export interface CliIO {
  out(s: string): void;
  err(s: string): void;
  env?: Record<string, string | undefined>;
  /** Asks the operator for a secret (without echo). Absent: there is no one to ask. */
  prompt?: (question: string) => Promise<string>;
  /** Asks the operator a yes-or-no question. Absent: there is no one to ask. */
  confirm?: (question: string) => Promise<boolean>;
}

/** The services a command works with, over the same store the server uses; no HTTP server. */
export interface CliServices {
  config: Config;
  store: Store;
  boards: BoardService;
  staff: StaffService;
}

export interface CliContext {
  out(line: string): void;
  err(line: string): void;
  /**
   * Opens the store on first use, so `--help` and usage errors never touch it. A store that does not
   * exist yet is created only when the operator confirms (`--yes`, or y at the terminal's question).
   */
  services(): Promise<CliServices>;
  /**
   * The whole instance over the same store, built on first use as a web-only process (nothing runs
   * in the background), for commands that act as the server does (domain rules, follows). It is
   * closed before the command line returns, after the effects of what the command did have run.
   */
  instance(): Promise<Instance>;
  prompt: ((question: string) => Promise<string>) | null;
  /** `--yes` was given: what would otherwise be asked or refused is confirmed. */
  assumeYes: boolean;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export interface Subcommand {
  name: string;
  summary: string;
  /** Argument synopsis after `atoll <group> <name>`, e.g. `<uri> --title T`. */
  usage: string;
  /** Lines describing the options, shown by --help. */
  details?: readonly string[];
  options: NonNullable<ParseArgsConfig["options"]>;
  positionals: { min: number; max: number; names: readonly string[] };
  run(ctx: CliContext, args: ParsedArgs): Promise<void>;
}

/** One noun of the command line (`board`, `user`, …) and what can be done to it. */
export interface CommandGroup {
  name: string;
  summary: string;
  subcommands: readonly Subcommand[];
}

/** Bad usage: the message is shown with a pointer to --help, and the exit code is 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  constructor(
    message: string,
    readonly helpFor: string,
  ) {
    super(message);
  }
}

/** Formats rows as aligned columns. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === "string" ? v : undefined;
}

export const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
