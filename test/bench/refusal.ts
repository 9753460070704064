/**
 * The inbound refusal of a suspended domain's signed POST, as a ratio to a plain Express route
 * served by the same process in the same run (target ≥ 0.8×: the refusal does no crypto, no I/O
 * and never reads the body).
 *
 * `refusalBench()` starts this file again as a child process in server mode (`--serve`): one
 * instance on a fresh SQLite store with a rule suspending 127.0.0.3, and beside it the plain route.
 * The load generator runs in the parent. The signed activity is made once: it is refused before
 * its signature is ever checked, so sending the same bytes again costs the server the same.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import express from "express";
import { signRequest } from "../../federation/http/signatures.js";
import { createInstance } from "../../server/app.js";
import { createLogger } from "../../server/services/logger.js";
import { freePort } from "../support/fedify-peer.js";
import { benchConfig } from "./instance-config.js";

export interface RefusalBench {
  /** Refused (403) POSTs per second. */
  refusalRps: number;
  /** The plain route's requests per second, the mean of a run before and one after. */
  plainRps: number;
  ratio: number;
  /** Answers other than 403 during the refusal run (should be 0). */
  other: number;
}

const SUSPENDED = "127.0.0.3";
const self = fileURLToPath(import.meta.url);

interface Ready {
  url: string;
  plainUrl: string;
}

/** Server mode: an instance suspending 127.0.0.3 and the plain route; prints one JSON line when ready. */
async function serve(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "atoll-bench-refusal-"));
  const port = await freePort();
  const config = benchConfig(dataDir, port);
  const instance = await createInstance(config, { logger: createLogger("error") });
  await instance.services.boards.create({ uri: "b", title: "Bench", settings: { requireImageForThread: false } });
  await instance.services.defederation.createBlock({ domain: SUSPENDED, severity: "suspend" }, { kind: "cli", id: "" });
  const url = await instance.listen();
  const plain = express();
  plain.get("/plain", (_req, res) => {
    res.type("text/plain").send("ok");
  });
  const plainServer = plain.listen(0, "127.0.0.1");
  await new Promise((r) => plainServer.once("listening", r));
  const plainUrl = `http://127.0.0.1:${(plainServer.address() as AddressInfo).port}/plain`;
  process.stdout.write(`${JSON.stringify({ url, plainUrl } satisfies Ready)}\n`);
  const stop = async () => {
    plainServer.close();
    await instance.close(1000);
    await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }).catch(() => {});
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
}

async function start(): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = spawn(process.execPath, [self, "--serve"], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`refusal bench server exited with ${code}`)));
    lines.on("line", (line) => {
      if (line.startsWith("{")) resolve(JSON.parse(line) as Ready);
    });
  });
  return { child, ready };
}

/** A Create(Note) from an actor on the suspended domain, signed as Mastodon signs. */
function signedActivity(inboxUrl: string, publicUrl: string): { headers: Record<string, string>; body: string } {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  const actor = `http://${SUSPENDED}:8080/users/spammer`;
  const body = JSON.stringify({
    "@context": "https://www.w3.org/ns/activitystreams",
    id: `${actor}/statuses/1/activity`,
    type: "Create",
    actor,
    to: ["https://www.w3.org/ns/activitystreams#Public"],
    cc: [`${publicUrl}/ap/boards/b`],
    object: {
      id: `${actor}/statuses/1`,
      type: "Note",
      attributedTo: actor,
      to: ["https://www.w3.org/ns/activitystreams#Public"],
      cc: [`${publicUrl}/ap/boards/b`],
      content: "<p>Buy now! ".repeat(40),
    },
  });
  const signed = signRequest({
    method: "POST",
    url: new URL(inboxUrl),
    headers: {},
    body,
    keyId: `${actor}#main-key`,
    privateKeyPem: privateKey,
  });
  const headers: Record<string, string> = { "content-type": "application/activity+json" };
  for (const [name, value] of Object.entries(signed)) headers[name.toLowerCase()] = value;
  return { headers, body };
}

/**
 * Measures the refusal and the plain route in one server process: the plain route before and
 * after, the refusals in between, each for `seconds` with `connections` connections.
 */
export async function refusalBench(o: { seconds?: number; connections?: number } = {}): Promise<RefusalBench> {
  const seconds = o.seconds ?? 5;
  const connections = o.connections ?? 16;
  const { child, ready } = await start();
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    const inboxUrl = `${ready.url}/ap/boards/b/inbox`;
    const { headers, body } = signedActivity(inboxUrl, ready.url);
    const plain = async (duration: number) =>
      (await autocannon({ url: ready.plainUrl, connections, duration })).requests.average;
    const refusals = async (duration: number) => {
      const result = await autocannon({ url: inboxUrl, connections, duration, method: "POST", headers, body });
      const forbidden = result.statusCodeStats?.["403"]?.count ?? 0;
      if (forbidden === 0) throw new Error("refusal bench: nothing was refused");
      return { rps: result.requests.average, other: result.non2xx - forbidden + result["2xx"] + result.errors };
    };
    // Warm both paths (JIT) before anything is measured.
    await plain(1);
    await refusals(1);
    const before = await plain(seconds);
    const refused = await refusals(seconds);
    const after = await plain(seconds);
    const plainRps = (before + after) / 2;
    return { refusalRps: refused.rps, plainRps, ratio: refused.rps / plainRps, other: refused.other };
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

if (process.argv[1] === self && process.argv[2] === "--serve") await serve();
else if (process.argv[1] === self) {
  // Run alone: `node dist/test/bench/refusal.js`.
  const r = await refusalBench({ seconds: Number(process.env["BENCH_SECONDS"] ?? 5) });
  process.stdout.write(
    `inbound refusal of a suspended domain's signed POST: ${r.refusalRps.toFixed(0)} req/s; ` +
      `plain Express route: ${r.plainRps.toFixed(0)} req/s; ratio ${r.ratio.toFixed(2)}× (target ≥ 0.8×)` +
      `${r.other > 0 ? `; ${r.other} answers were not 403` : ""}\n`,
  );
}
