import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { projectRoot } from "../../server/paths.js";

const peerDir = join(projectRoot(), "test", "peer");
const peerNode = join(peerDir, "node_modules", ".bin", "node");
const peerFedify = join(peerDir, "node_modules", "@fedify", "fedify");

/** Why the Fedify peer cannot run here, or null when it can. */
export function fedifyPeerUnavailable(): string | null {
  if (!existsSync(peerNode) || !existsSync(peerFedify))
    return "the Fedify peer is not installed (npm ci --prefix test/peer)";
  return null;
}

export async function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface FedifyPeer {
  origin: string;
  actor: string;
  control<T = unknown>(path: string, body?: unknown): Promise<T>;
  received(): Promise<Array<Record<string, unknown>>>;
  stop(): Promise<void>;
}

/**
 * Starts the Fedify peer (Node.js 22 child process) on a loopback address of its own: `peer.mjs`
 * plays a Mastodon-like server, `lemmy.mjs` a Lemmy instance with a community.
 */
export async function startFedifyPeer(host = "127.0.0.2", script = "peer.mjs"): Promise<FedifyPeer> {
  const port = await freePort(host);
  const child: ChildProcess = spawn(peerNode, [join(peerDir, script), "--host", host, "--port", String(port)], {
    cwd: peerDir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const ready = await new Promise<{ origin: string; actor: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Fedify peer did not start: ${stderr}`)), 20_000);
    child.once("exit", (code) => reject(new Error(`Fedify peer exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.startsWith("{")) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as { origin: string; actor: string });
      }
    });
  });
  const control = async <T>(path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${ready.origin}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`peer ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  return {
    ...ready,
    control,
    received: () => control("/control/received"),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
