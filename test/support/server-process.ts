import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../server/paths.js";
import { freePort } from "./fedify-peer.js";

/*
 * Real server processes: `node dist/server/main.js`, as `npm start` runs it (`npm test` builds dist/
 * first; the tests of processes skip without it). `runServer` starts one and returns at once, for
 * the tests of how it starts, stops or refuses to start; `startServer` fills in a federating
 * loopback instance's settings and returns once it serves.
 */

export const SERVER_ENTRY = join(projectRoot(), "dist", "server", "main.js");
/** The command line, as an operator runs it. */
export const CLI_ENTRY = join(projectRoot(), "bin", "atoll.js");
export const serverBuilt = existsSync(SERVER_ENTRY);

/** One server process. */
export interface ServerRun {
  child: ChildProcess;
  /** Everything it wrote so far, stdout and stderr interleaved. */
  output(): string;
  /** Resolves with the exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** Sends SIGTERM and waits for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no chance to finish anything. */
  kill(): Promise<void>;
}

/** A process `startServer` saw serving. */
export interface ServerProcess extends ServerRun {
  /** Where it listens (`http://host:port`). */
  url: string;
  env: Record<string, string>;
}

/** Runs the server with exactly `env` (and PATH) in its environment, without waiting for anything. */
export function runServer(env: Record<string, string>): ServerRun {
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    output: () => out,
    exited,
    async stop() {
      if (running()) child.kill("SIGTERM");
      return exited;
    },
    async kill() {
      if (running()) child.kill("SIGKILL");
      await exited;
    },
  };
}

/**
 * Starts a server process on `host` and a free port unless `env` names them, federating with
 * loopback peers and without captcha or rate limits unless `env` says otherwise, and waits until it
 * answers `/boards.json`. An instance on a loopback address of its own is a domain of its own to the
 * others.
 */
export async function startServer(env: Record<string, string>, host = "127.0.0.1"): Promise<ServerProcess> {
  const port = env["PORT"] ?? String(await freePort(host));
  const full: Record<string, string> = {
    HOST: host,
    PORT: port,
    PUBLIC_URL: `http://${host}:${port}`,
    CAPTCHA: "off",
    RATE_LIMIT: "off",
    // Peers in tests are trusted from the start unless a test is about probation.
    PEER_PROBATION_DAYS: "0",
    ALLOW_PRIVATE_ADDRESSES: "on",
    LOG_LEVEL: "warn",
    ...env,
  };
  const url = `http://${full["HOST"]}:${full["PORT"]}`;
  const proc: ServerProcess = { ...runServer(full), url, env: full };
  try {
    await waitServing(url, "/boards.json", 60_000, proc.exited);
  } catch (err) {
    await proc.kill();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${proc.output()}`);
  }
  return proc;
}

/**
 * Waits until `url` answers `path` with 200, failing at once when `exited` settles first. The budget
 * is generous: a start on a busy machine is slow, and only a server that never comes up should fail.
 */
export async function waitServing(
  url: string,
  path = "/boards.json",
  ms = 60_000,
  exited?: Promise<number | null>,
): Promise<void> {
  let gone = false;
  void exited?.then(() => {
    gone = true;
  });
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (gone) throw new Error(`${url} exited before it was ready`);
    try {
      if ((await fetch(`${url}${path}`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not become ready`);
}

/** The exit code, or a failure when the process is still running after `ms` (a hang, not slowness). */
export async function exitCode(p: ServerRun, ms = 60_000): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${ms} ms:\n${p.output()}`)), ms);
  });
  try {
    return await Promise.race([p.exited, hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** `atoll …` as a real process with only `env` (and PATH) set: its exit code and output, once it ends. */
export function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, out, err })));
}
