import { type ChildProcess, spawn } from "node:child_process";
import { SERVER_ENTRY } from "./server-process.js";

/**
 * A server process started without waiting for it to be ready, for the tests about how it starts,
 * stops, or refuses to start (server-process.ts starts one that must come up).
 */
export interface ServerRun {
  child: ChildProcess;
  /** Everything it wrote so far, stdout and stderr interleaved. */
  output(): string;
  exited: Promise<number | null>;
}

/** Runs `dist/server/main.js` with only `env` (and PATH) in its environment. */
export function runServer(env: Record<string, string>): ServerRun {
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/**
 * Waits until `url` answers `path` with 200. The budget is generous: a start on a busy machine is
 * slow, and only a server that never comes up should fail here.
 */
export async function waitServing(url: string, path = "/boards.json", ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
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
