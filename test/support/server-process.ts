import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../server/paths.js";
import { freePort } from "./fedify-peer.js";

/** The built server (`npm test` builds it first); tests of real processes skip without it. */
export const SERVER_ENTRY = join(projectRoot(), "dist", "server", "main.js");
export const serverBuilt = existsSync(SERVER_ENTRY);

/** One `node dist/server/main.js` process. */
export interface ServerProcess {
  /** Where it listens (`http://host:port`). */
  url: string;
  env: Record<string, string>;
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** Sends SIGTERM and waits for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no chance to finish anything. */
  kill(): Promise<void>;
}

/**
 * Starts a server process with exactly `env` (plus PATH), on `host` and a free port unless `env`
 * names them, and waits until it answers `/boards.json`. An instance on a loopback address of its
 * own is a domain of its own to the others.
 */
export async function startServer(env: Record<string, string>, host = "127.0.0.1"): Promise<ServerProcess> {
  const port = env["PORT"] ?? String(await freePort(host));
  const full: Record<string, string> = {
    HOST: host,
    PORT: port,
    PUBLIC_URL: `http://${host}:${port}`,
    CAPTCHA: "off",
    RATE_LIMIT: "off",
    ALLOW_PRIVATE_ADDRESSES: "on",
    LOG_LEVEL: "warn",
    ...env,
  };
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    env: { PATH: process.env["PATH"] ?? "", ...full },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = `http://${full["HOST"]}:${full["PORT"]}`;
  const proc: ServerProcess = {
    url,
    env: full,
    child,
    output: () => out,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
  try {
    await waitReady(url, exited);
  } catch (err) {
    await proc.kill();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${out}`);
  }
  return proc;
}

/** Waits until `url` answers `/boards.json` with 200 (generous: a busy machine starts slowly). */
async function waitReady(url: string, exited: Promise<number | null>, ms = 60_000): Promise<void> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (gone) throw new Error(`${url} exited before it was ready`);
    try {
      if ((await fetch(`${url}/boards.json`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not become ready`);
}
