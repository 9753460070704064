import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../storage/sqlite/store.js";
import { FakeInbox, until } from "../support/fake-inbox.js";
import { freePort } from "../support/fedify-peer.js";
import { serverBuilt, startServer } from "../support/server-process.js";

const TOKEN = "restart-test-admin-token-0123456789";

describe.skipIf(!serverBuilt)("delivery across a crash (skipped when dist/ is not built: run npm run build)", () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it("sends again at once what a SIGKILLed process had in flight, once it restarts on the same host", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "atoll-restart-"));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const port = await freePort("127.0.0.1");
    const env = { DATA_DIR: dataDir, PORT: String(port), ADMIN_TOKEN: TOKEN, LOG_LEVEL: "error" };
    let server = await startServer(env, "127.0.0.1");
    cleanup.push(() => server.stop());
    const { url } = server;
    const board = await fetch(`${url}/api/v1/admin/boards`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ uri: "b", title: "B" }),
    });
    expect(board.status).toBe(201);

    const inbox = await FakeInbox.start({
      addresses: ["127.0.0.2"],
      publicKeyOf: async (actorId) => {
        const res = await fetch(actorId, { headers: { accept: "application/activity+json" } });
        return ((await res.json()) as { publicKey: { publicKeyPem: string } }).publicKey.publicKeyPem;
      },
    });
    cleanup.push(() => inbox.close());
    // The first process's sends never get an answer.
    let hang = true;
    const delivered: Array<{ path: string; n: number; at: number }> = [];
    inbox.respond = (r) => {
      if (hang) return { status: 202, delayMs: 30_000 };
      delivered.push({ path: r.path, n: r.body["n"] as number, at: Date.now() });
      return { status: 202 };
    };

    // Two inboxes of one domain, two items each, queued straight into the server's store.
    const store = openSqliteStore(join(dataDir, "atoll.db"));
    cleanup.push(() => store.close());
    const queuedAt = Date.now();
    await store.federation.deliveries.enqueue(
      ["a", "b"].flatMap((path, k) =>
        [1, 2].map((i) => {
          const n = 10 * (k + 1) + i;
          const id = `${url}/activities/${n}`;
          return {
            id,
            inbox: `${inbox.base()}/${path}`,
            domain: "127.0.0.2",
            body: JSON.stringify({ "@context": "https://www.w3.org/ns/activitystreams", id, type: "Create", n }),
            keyId: `${url}/ap/boards/b`,
            activityId: id,
          };
        }),
      ),
      queuedAt,
    );
    await inbox.waitFor((r) => r.length === 2, 20_000);
    const [first] = await store.federation.deliveries.listWorkers();
    expect(first?.pid).toBe(server.child.pid);

    await server.kill();
    hang = false;
    server = await startServer(env, "127.0.0.1");
    await until(() => delivered.length === 4, 30_000, 50);

    // Each inbox got its items in order, long before the dead process's leases (60 s) ran out.
    expect(delivered.filter((d) => d.path === "/a").map((d) => d.n)).toEqual([11, 12]);
    expect(delivered.filter((d) => d.path === "/b").map((d) => d.n)).toEqual([21, 22]);
    expect(Math.max(...delivered.map((d) => d.at))).toBeLessThan(queuedAt + 60_000);
    expect(inbox.received.every((r) => r.verified)).toBe(true);
    // The dead worker was forgotten; the new one is registered.
    expect((await store.federation.deliveries.listWorkers()).map((w) => w.pid)).toEqual([server.child.pid]);
    await until(async () => (await store.federation.deliveries.countPending()) === 0);
  }, 120_000);
});
