import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { RemoteActor } from "../../server/domain/federation-ports.js";
import type { Store } from "../../server/domain/ports.js";
import { projectRoot } from "../../server/paths.js";
import { openStore } from "../../storage/open.js";
import { serverBuilt } from "../support/server-process.js";

vi.setConfig({ testTimeout: 120_000 });

const bin = join(projectRoot(), "bin", "atoll.js");
const CSV_HEADER = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate";
const domainOf = (i: number) => `spam-${i}.example`;

/** `atoll …` as a real process on `dataDir`; collects its output and exit code. */
function atoll(dataDir: string, ...args: string[]) {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { PATH: process.env["PATH"] ?? "", DATA_DIR: dataDir, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  return { child: child as ChildProcess, exited, out: () => out, err: () => err };
}

function actor(domain: string, n: number): RemoteActor {
  const id = `https://${domain}/users/u${n}`;
  return {
    id,
    type: "Person",
    inbox: `${id}/inbox`,
    sharedInbox: `https://${domain}/inbox`,
    preferredUsername: `u${n}`,
    name: null,
    summary: null,
    url: null,
    iconUrl: null,
    followers: null,
    keyId: `${id}#main-key`,
    publicKeyPem: "-----BEGIN PUBLIC KEY-----\nMFk=\n-----END PUBLIC KEY-----\n",
    domain,
    fetchedAt: 1000,
    raw: "{}",
  };
}

describe.skipIf(!serverBuilt)("atoll as a process (skipped when dist/ is not built: run npm run build)", () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "atoll-cli-process-"));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  async function withStore<T>(work: (store: Store) => Promise<T>): Promise<T> {
    const store = await openStore({ dataDir, mongodbUrl: null });
    try {
      return await work(store);
    } finally {
      await store.close();
    }
  }

  it("imports 3,000 suspensions, and has dropped their cached actors and queued deliveries when it exits", async () => {
    const N = 3000;
    // Peers among the domains to suspend, and one that stays.
    const peers = [0, 1, 2, 500, 1499, 2998, 2999].map(domainOf);
    await withStore(async (store) => {
      for (const domain of [...peers, "friend.example"]) {
        for (let n = 0; n < 3; n++) await store.federation.actors.upsert(actor(domain, n));
        await store.federation.deliveries.enqueue(
          [0, 1].map((n) => ({
            id: `d-${domain}-${n}`,
            inbox: `https://${domain}/inbox`,
            domain,
            body: "{}",
            keyId: "https://atoll.example/ap/boards/b#main-key",
            activityId: `https://atoll.example/activities/${domain}/${n}`,
          })),
          1000,
        );
      }
    });
    const csv = join(dataDir, "blocklist.csv");
    const rows = Array.from({ length: N }, (_, i) => `${domainOf(i)},suspend,false,false,spam,false`);
    writeFileSync(csv, `${CSV_HEADER}\n${rows.join("\n")}\n`);

    const run = atoll(dataDir, "domain", "import", csv);
    expect(await run.exited).toBe(0);
    expect(run.out()).toContain(`Imported: ${N} new`);
    // Progress and an info line, but no error, before or after the command's answer.
    const errors = run
      .err()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { level: string; msg: string })
      .filter((l) => l.level !== "info");
    expect(errors).toEqual([]);
    expect(run.err()).not.toMatch(/not open|could not apply/);

    await withStore(async (store) => {
      for (const domain of peers) {
        expect(await store.federation.actors.listByDomain(domain), domain).toEqual([]);
        expect(await store.federation.deliveries.pendingForDomain(domain), domain).toBe(0);
      }
      expect(await store.federation.actors.listByDomain("friend.example")).toHaveLength(3);
      expect(await store.federation.deliveries.pendingForDomain("friend.example")).toBe(2);
      expect(await store.defederation.rules.listBlocks()).toHaveLength(N);
    });
  });

  it("stops writing quietly when its standard output is closed early, as by `| head`", async () => {
    const csv = join(dataDir, "blocklist.csv");
    const rows = Array.from({ length: 3000 }, (_, i) => `${domainOf(i)},suspend,false,false,spam spam spam,false`);
    writeFileSync(csv, `${CSV_HEADER}\n${rows.join("\n")}\n`);
    expect(await atoll(dataDir, "--yes", "domain", "import", csv).exited).toBe(0);

    // The reader takes the first chunk and goes away; the list is far longer than a pipe holds.
    const list = atoll(dataDir, "domain", "list");
    let first = "";
    list.child.stdout!.once("data", (d: Buffer) => {
      first = d.toString();
      list.child.stdout!.destroy();
    });
    expect(await list.exited).toBe(0);
    expect(first).toContain("DOMAIN");
    expect(list.err()).toBe("");
  });
});
