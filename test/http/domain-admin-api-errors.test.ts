import { randomUUID } from "node:crypto";
import type request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { adminApi, auth, startDomainAdminInstance } from "../support/domain-admin.js";
import type { TestInstance } from "../support/instance.js";

/* Every kind of bad request to the domain moderation admin API, answered with a 4xx problem. */

describe("domain moderation admin API", () => {
  let instance: TestInstance;

  beforeEach(async () => {
    instance = await startDomainAdminInstance();
  });

  afterEach(async () => {
    await instance.stop();
  });

  const { api, block, domains } = adminApi(() => instance);

  it("answers every bad input with a 4xx problem, never a 500", async () => {
    const { body: good } = await block({ domain: "good.example" });
    const cases: Array<[string, () => request.Test, number]> = [
      ["bad severity", () => block({ domain: "x.example", severity: "nuke" }), 422],
      ["not a domain", () => block({ domain: "not a domain" }), 422],
      ["no domain", () => block({ severity: "suspend" }), 422],
      ["domain not text", () => block({ domain: 42 }), 422],
      ["own domain", () => block({ domain: "localhost" }), 422],
      ["bad flag", () => block({ domain: "x.example", reject_media: "maybe" }), 422],
      ["bad comment", () => block({ domain: "x.example", public_comment: ["a"] }), 422],
      ["long comment", () => block({ domain: "x.example", public_comment: "a".repeat(1001) }), 422],
      ["bad expiry", () => block({ domain: "x.example", expires_at: "tomorrow" }), 422],
      ["past expiry", () => block({ domain: "x.example", expires_at: "2001-01-01T00:00:00Z" }), 422],
      ["two expiries", () => block({ domain: "x.example", expires_at: "2999-01-01", expires_in: 60 }), 422],
      ["negative expires_in", () => block({ domain: "x.example", expires_in: -5 }), 422],
      ["bad evidence", () => block({ domain: "x.example", evidence_url: "javascript:alert(1)" }), 422],
      ["array body", () => api().post("/api/v1/admin/domain_blocks").set(auth).send([1, 2]), 400],
      [
        "broken JSON",
        () => api().post("/api/v1/admin/domain_blocks").set(auth).set("Content-Type", "application/json").send("{"),
        400,
      ],
      ["unknown id", () => api().get(`/api/v1/admin/domain_blocks/${randomUUID()}`).set(auth), 404],
      ["odd id", () => api().get("/api/v1/admin/domain_blocks/%00%2F..").set(auth), 404],
      ["put unknown", () => api().put(`/api/v1/admin/domain_blocks/${randomUUID()}`).set(auth).send({}), 404],
      ["delete unknown", () => api().delete(`/api/v1/admin/domain_blocks/${randomUUID()}`).set(auth), 404],
      [
        "put bad severity",
        () => api().put(`/api/v1/admin/domain_blocks/${good.id}`).set(auth).send({ severity: 3 }),
        422,
      ],
      ["confirm unstaged", () => api().post(`/api/v1/admin/domain_blocks/${good.id}/confirm`).set(auth), 422],
      ["bad limit", () => api().get("/api/v1/admin/domain_blocks?limit=lots").set(auth), 400],
      ["zero limit", () => api().get("/api/v1/admin/domain_blocks?limit=0").set(auth), 400],
      ["bad max_id", () => api().get("/api/v1/admin/domain_blocks?max_id=%3Cx%3E").set(auth), 400],
      ["allow without domain", () => api().post("/api/v1/admin/domain_allows").set(auth).send({}), 422],
      ["allow bad domain", () => api().post("/api/v1/admin/domain_allows").set(auth).send({ domain: "a b" }), 422],
      ["unknown allow", () => api().delete(`/api/v1/admin/domain_allows/${randomUUID()}`).set(auth), 404],
      ["import wrong type", () => api().post("/api/v1/admin/domain_blocks/import").set(auth).send({ csv: "x" }), 415],
      [
        "import bad dry_run",
        () =>
          api()
            .post("/api/v1/admin/domain_blocks/import?dry_run=perhaps")
            .set(auth)
            .set("Content-Type", "text/csv")
            .send("a.example"),
        400,
      ],
      [
        "import too large",
        () =>
          api()
            .post("/api/v1/admin/domain_blocks/import")
            .set(auth)
            .set("Content-Type", "text/csv")
            .send(`${"x".repeat(6 * 1024 * 1024)}\n`),
        413,
      ],
      [
        "subscription not https",
        () => api().post("/api/v1/admin/domain_subscriptions").set(auth).send({ url: "ftp://lists.example/a" }),
        422,
      ],
      ["subscription no url", () => api().post("/api/v1/admin/domain_subscriptions").set(auth).send({}), 422],
      [
        "subscription bad format",
        () =>
          api().post("/api/v1/admin/domain_subscriptions").set(auth).send({ url: "https://l.example/", format: "xml" }),
        422,
      ],
      [
        "subscription bad priority",
        () =>
          api().post("/api/v1/admin/domain_subscriptions").set(auth).send({ url: "https://l.example/", priority: 1.5 }),
        422,
      ],
      ["unknown subscription", () => api().get(`/api/v1/admin/domain_subscriptions/${randomUUID()}`).set(auth), 404],
      ["sync unknown", () => api().post(`/api/v1/admin/domain_subscriptions/${randomUUID()}/sync`).set(auth), 404],
      ["apply unknown", () => api().post(`/api/v1/admin/domain_subscriptions/${randomUUID()}/apply`).set(auth), 404],
      [
        "consensus zero",
        () => api().put("/api/v1/admin/domain_subscriptions/consensus").set(auth).send({ min_sources: 0 }),
        422,
      ],
      [
        "consensus share",
        () => api().put("/api/v1/admin/domain_subscriptions/consensus").set(auth).send({ min_share: 2 }),
        422,
      ],
      [
        "consensus merge",
        () => api().put("/api/v1/admin/domain_subscriptions/consensus").set(auth).send({ merge: "random" }),
        422,
      ],
      ["audit bad limit", () => api().get("/api/v1/admin/domain_audit?limit=-1").set(auth), 400],
      ["audit bad before", () => api().get("/api/v1/admin/domain_audit?before=%3B").set(auth), 400],
      ["rules of no board", () => api().get("/api/v1/admin/boards/nope/domain_rules").set(auth), 404],
      [
        "board rule noop",
        () =>
          api().post("/api/v1/admin/boards/b/domain_rules").set(auth).send({ domain: "x.example", severity: "noop" }),
        422,
      ],
      [
        "board rule no domain",
        () => api().post("/api/v1/admin/boards/b/domain_rules").set(auth).send({ severity: "suspend" }),
        422,
      ],
      ["board rule unknown", () => api().delete(`/api/v1/admin/boards/b/domain_rules/${randomUUID()}`).set(auth), 404],
    ];
    await instance.services.boards.create({ uri: "b", title: "B" });
    for (const [name, send, status] of cases) {
      const res = await send();
      expect(res.status, name).toBe(status);
      expect(res.headers["content-type"], name).toMatch(/^application\/json; charset=utf-8/);
      expect(res.body.detail, name).toEqual(expect.any(String));
    }
    expect(await domains()).toEqual(["good.example"]);
  });
});
