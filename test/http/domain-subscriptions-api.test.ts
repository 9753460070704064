import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { adminApi, auth, CSV_HEADER, startDomainAdminInstance } from "../support/domain-admin.js";
import type { TestInstance } from "../support/instance.js";

/* Blocklist subscriptions through the admin API, synced from a real HTTP server: drafts and consensus. */

/** A real HTTP server serving blocklists that a test changes between syncs. */
class ListServer {
  readonly lists = new Map<string, { body: string; type: string }>();
  hits = 0;
  #server: Server | null = null;
  base = "";

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      this.hits++;
      const list = this.lists.get(req.url ?? "");
      if (!list) {
        res.writeHead(404).end("not found");
        return;
      }
      res.writeHead(200, { "Content-Type": list.type }).end(list.body);
    });
    this.#server.listen(0, "127.0.0.1");
    await once(this.#server, "listening");
    this.base = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  csv(path: string, rows: string[]): string {
    this.lists.set(path, { body: `${CSV_HEADER}\n${rows.join("\n")}\n`, type: "text/csv" });
    return `${this.base}${path}`;
  }

  async stop(): Promise<void> {
    const s = this.#server;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

describe("domain moderation admin API", () => {
  let instance: TestInstance;
  const lists = new ListServer();

  beforeAll(async () => {
    await lists.start();
  });

  afterAll(async () => {
    await lists.stop();
  });

  beforeEach(async () => {
    instance = await startDomainAdminInstance();
  });

  afterEach(async () => {
    await instance.stop();
  });

  const { api, block, domains } = adminApi(() => instance);

  /** Syncs through the API: the list is fetched through the instance's guarded client. */
  const sync = (id: string) => api().post(`/api/v1/admin/domain_subscriptions/${id}/sync`).set(auth);

  it("syncs subscriptions from a real HTTP server, retracting what a list drops but never manual rules", async () => {
    const url = lists.csv("/a.csv", [
      "spam.example,suspend,false,false,spam,false",
      "loud.example,silence,true,false,,false",
      "mine.example,silence,false,false,,false",
    ]);
    // A rule made by a person before the list carries it.
    const manual = await block({ domain: "mine.example", severity: "suspend", private_comment: "ours" });
    expect(manual.status).toBe(200);

    const created = await api()
      .post("/api/v1/admin/domain_subscriptions")
      .set(auth)
      .send({ url, format: "mastodon_csv", priority: 5, excludes: ["safe.example"] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      url,
      format: "mastodon_csv",
      priority: 5,
      excludes: ["safe.example"],
      draft: false,
      last_sync_at: null,
      last_status: null,
    });
    const id = created.body.id as string;
    expect(created.headers["location"]).toBe(`/api/v1/admin/domain_subscriptions/${id}`);
    expect((await api().get("/api/v1/admin/domain_subscriptions").set(auth)).body).toEqual([created.body]);
    const patched = await api().patch(`/api/v1/admin/domain_subscriptions/${id}`).set(auth).send({ priority: 7 });
    expect(patched.status).toBe(200);
    expect(patched.body.priority).toBe(7);
    expect(
      (await api().patch(`/api/v1/admin/domain_subscriptions/${id}`).set(auth).send({ url: "https://x/" })).status,
    ).toBe(422);

    const first = await sync(id);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ subscription_id: id, created: 2, updated: 0, removed: 0, draft: false });
    expect(first.body.domains.created.sort()).toEqual(["loud.example", "spam.example"]);
    const byDomain = new Map((await instance.services.defederation.listBlocks()).map((b) => [b.domain, b]));
    expect(byDomain.get("spam.example")).toMatchObject({
      origin: "subscription",
      severity: "suspend",
      publicComment: "spam",
    });
    expect(byDomain.get("mine.example")).toMatchObject({
      origin: "manual",
      severity: "suspend",
      privateComment: "ours",
    });
    const synced = (await api().get(`/api/v1/admin/domain_subscriptions/${id}`).set(auth)).body;
    expect(synced.last_status).toBe("ok");
    expect(synced.last_sync_at).toEqual(expect.any(String));
    expect(synced.last_change).toMatchObject({ created: 2 });

    // The list drops spam.example and mine.example: the first is retracted, the manual one stays.
    lists.csv("/a.csv", ["loud.example,silence,true,false,,false"]);
    const second = await sync(id);
    expect(second.body).toMatchObject({ removed: 1, created: 0 });
    expect(second.body.domains.removed).toEqual(["spam.example"]);
    expect(await domains()).toEqual(["loud.example", "mine.example"]);

    // Every change is in the audit log, with who made it and the subscription it came from.
    const audit = (await api().get("/api/v1/admin/domain_audit?limit=1000").set(auth)).body as Array<{
      action: string;
      domain: string;
      actor: { kind: string; id: string };
      subscription_id: string | null;
    }>;
    const spam = audit.filter((e) => e.domain === "spam.example").map((e) => e.action);
    expect(spam).toEqual(["block.delete", "block.create"]);
    const createdSpam = audit.find((e) => e.domain === "spam.example" && e.action === "block.create");
    expect(createdSpam).toMatchObject({ actor: { kind: "token", id: "ADMIN_TOKEN" }, subscription_id: id });
    expect(audit.some((e) => e.action === "subscription.create" && e.subscription_id === id)).toBe(true);
    expect(audit.filter((e) => e.action === "subscription.sync").length).toBe(2);
    expect(audit.find((e) => e.domain === "mine.example")).toMatchObject({
      action: "block.create",
      actor: { kind: "token", id: "ADMIN_TOKEN" },
      subscription_id: null,
    });

    // Deleting the subscription retracts what only it carried.
    const removed = await api().delete(`/api/v1/admin/domain_subscriptions/${id}`).set(auth);
    expect(removed.status).toBe(200);
    expect(removed.body.domains.removed).toEqual(["loud.example"]);
    expect(await domains()).toEqual(["mine.example"]);
    expect((await api().get(`/api/v1/admin/domain_subscriptions/${id}`).set(auth)).status).toBe(404);
  });

  it("changes nothing for a draft subscription until it is applied", async () => {
    const url = lists.csv("/draft.csv", [
      "d1.example,suspend,false,false,,false",
      "d2.example,silence,false,false,,false",
    ]);
    const created = await api().post("/api/v1/admin/domain_subscriptions").set(auth).send({ url, draft: true });
    const id = created.body.id as string;
    const synced = await sync(id);
    expect(synced.status).toBe(200);
    expect(synced.body).toMatchObject({ draft: true, created: 2 });
    expect(await domains()).toEqual([]);
    const sub = (await api().get(`/api/v1/admin/domain_subscriptions/${id}`).set(auth)).body;
    expect(sub.last_change).toMatchObject({ draft: true, created: 2 });

    const applied = await api().post(`/api/v1/admin/domain_subscriptions/${id}/apply`).set(auth);
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ draft: false, created: 2 });
    expect(await domains()).toEqual(["d1.example", "d2.example"]);
  });

  it("blocks only what enough lists agree on (consensus)", async () => {
    const consensus = await api().get("/api/v1/admin/domain_subscriptions/consensus").set(auth);
    expect(consensus.body).toEqual({ min_sources: 1, min_share: null, merge: "strictest", stage_while_followed: true });
    const set = await api()
      .put("/api/v1/admin/domain_subscriptions/consensus")
      .set(auth)
      .send({ min_sources: 2, merge: "mildest" });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ min_sources: 2, merge: "mildest" });

    const a = lists.csv("/c1.csv", [
      "both.example,suspend,false,false,,false",
      "only-a.example,suspend,false,false,,false",
    ]);
    const b = lists.csv("/c2.csv", [
      "both.example,silence,false,false,,false",
      "only-b.example,suspend,false,false,,false",
    ]);
    const subA = (await api().post("/api/v1/admin/domain_subscriptions").set(auth).send({ url: a })).body.id as string;
    const subB = (await api().post("/api/v1/admin/domain_subscriptions").set(auth).send({ url: b })).body.id as string;
    await sync(subA);
    expect(await domains()).toEqual([]);
    await sync(subB);
    expect(await domains()).toEqual(["both.example"]);
    // The sources disagree; the mildest severity wins.
    expect((await instance.services.defederation.listBlocks())[0]?.severity).toBe("silence");

    const audit = (await api().get("/api/v1/admin/domain_audit?domain=both.example").set(auth)).body;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: "block.create", subscription_id: expect.any(String) });
  });
});
