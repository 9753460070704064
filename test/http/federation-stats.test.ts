import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewDelivery } from "../../server/domain/federation-ports.js";
import { signIn } from "../support/admin-session.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";
import { runCli, serverBuilt } from "../support/server-process.js";

const PUBLIC_URL = "http://atoll.test";
const PASSWORD = "correct horse battery";

function item(id: string, inbox: string): NewDelivery {
  return {
    id,
    inbox,
    domain: new URL(inbox).hostname,
    body: JSON.stringify({ id: `${PUBLIC_URL}/activities/${id}`, type: "Create" }),
    keyId: `${PUBLIC_URL}/ap/boards/b`,
    activityId: `${PUBLIC_URL}/activities/${id}`,
  };
}

/** `atoll …` as a real process on the instance's data directory: its output and exit code. */
const atoll = (dataDir: string, ...args: string[]) =>
  runCli(args, { DATA_DIR: dataDir, PUBLIC_URL, LOG_LEVEL: "error" });

describe("the delivery queue per peer: /admin/federation and `atoll delivery stats`", () => {
  let t: TestInstance;

  beforeAll(async () => {
    // A web-only process: nothing is sent, so the queue stays as it is made here.
    t = await startTestInstance({ PUBLIC_URL, ATOLL_ROLE: "web" });
    await t.services.staff.createUser("boss", PASSWORD, "admin", []);
    await t.services.staff.createUser("mod", PASSWORD, "global_mod", []);
    const { deliveries, peerHealth } = t.services.store.federation;
    const now = Date.now();
    // slow.example: three items over two inboxes, failing four times in a row over a minute (dead).
    await deliveries.enqueue(
      [
        item("s1", "https://slow.example/a"),
        item("s2", "https://slow.example/a"),
        item("s3", "https://slow.example/b"),
      ],
      now - 120_000,
    );
    for (let i = 0; i < 4; i++) await peerHealth.recordFailure("slow.example", now - 60_000 + i * 20_000);
    // quick.example: one item, healthy.
    await deliveries.enqueue([item("q1", "https://quick.example/inbox")], now - 5000);
    // gone.example: nothing queued, two drops.
    for (const id of ["g1", "g2"]) {
      await deliveries.enqueue([item(id, "https://gone.example/inbox")], now - 1000);
      await deliveries.claim(now, 10, 60_000, 10);
      await deliveries.drop(id, "HTTP 410", now);
    }
    await deliveries.registerWorker({
      id: "worker-one",
      host: "machine-a",
      pid: 4242,
      processStartedAt: now - 1000,
      startedAt: now - 1000,
      heartbeatAt: now,
    });
  });
  afterAll(async () => {
    await t.stop();
  });

  it("shows each peer's queue, health and drops, and the workers, to an admin", async () => {
    const { agent } = await signIn(t.app, "boss", PASSWORD);
    const page = await agent.get("/admin/federation");
    expect(page.status).toBe(200);
    const row = (domain: string) => {
      const m = new RegExp(`<tr>\\s*<td><a [^>]*>${domain.replace(".", "\\.")}</a></td>([\\s\\S]*?)</tr>`).exec(
        page.text,
      );
      expect(m, domain).not.toBeNull();
      return [...m![1]!.matchAll(/<td>([^<]*)<\/td>/g)].map((c) => c[1]);
    };
    // Inboxes, queued, …, failures in a row, …, state, dropped.
    const slow = row("slow.example");
    expect([slow[0], slow[1], slow[6]]).toEqual(["2", "3", "4"]);
    expect(slow[9]).toMatch(/^dead/);
    const quick = row("quick.example");
    expect([quick[0], quick[1], quick[9], quick[10]]).toEqual(["1", "1", "healthy", "0"]);
    const gone = row("gone.example");
    expect([gone[1], gone[10]]).toEqual(["0", "2"]);
    // Most queued first.
    expect(page.text.indexOf("slow.example")).toBeLessThan(page.text.indexOf("quick.example"));
    expect(page.text).toContain("worker-one");
    expect(page.text).toContain("machine-a");
    expect(page.text).toMatch(/4 deliveries waiting for 3 inboxes/);
  });

  it("is refused to a moderator", async () => {
    const { agent } = await signIn(t.app, "mod", PASSWORD);
    expect((await agent.get("/admin/federation")).status).toBe(403);
  });

  it.skipIf(!serverBuilt)(
    "prints the same from the command line, as a table and as JSON",
    async () => {
      const text = await atoll(t.dataDir, "delivery", "stats");
      expect(text.err).toBe("");
      expect(text.code).toBe(0);
      const lines = text.out.split("\n");
      expect(lines[0]).toMatch(/^4 queued for 3 inboxes; longest due: .*; workers alive: 1 of 1\.$/);
      expect(lines[1]).toMatch(/^DOMAIN\s+INBOXES\s+QUEUED/);
      expect(lines[2]).toMatch(/^slow\.example\s+2\s+3\s/);
      expect(lines[2]).toMatch(/\sdead\s+0$/);
      expect(text.out).toMatch(/worker worker-one on machine-a \(pid 4242\): alive/);
      const json = await atoll(t.dataDir, "delivery", "stats", "--json");
      expect(json.code).toBe(0);
      const stats = JSON.parse(json.out) as {
        totals: { items: number };
        peers: Array<{ domain: string; items: number; state: string; dropped: number }>;
      };
      expect(stats.totals.items).toBe(4);
      expect(stats.peers.map((p) => [p.domain, p.items, p.state, p.dropped])).toEqual([
        ["slow.example", 3, "dead", 0],
        ["quick.example", 1, "healthy", 0],
        ["gone.example", 0, "healthy", 2],
      ]);
    },
    60_000,
  );
});
