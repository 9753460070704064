import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { adminApi, auth, sha256, startDomainAdminInstance } from "../support/domain-admin.js";
import { domainBlock } from "../support/domain-rules.js";
import type { TestInstance } from "../support/instance.js";

/* The admin API for the rules themselves: blocks, allows and board rules, in Mastodon's shapes. */

describe("domain moderation admin API", () => {
  let instance: TestInstance;

  beforeEach(async () => {
    instance = await startDomainAdminInstance();
  });

  afterEach(async () => {
    await instance.stop();
  });

  const { api, block, domains } = adminApi(() => instance);

  it("needs the bearer token", async () => {
    for (const path of [
      "/api/v1/admin/domain_blocks",
      "/api/v1/admin/domain_allows",
      "/api/v1/admin/domain_blocks/export.csv",
      "/api/v1/admin/domain_subscriptions",
      "/api/v1/admin/domain_audit",
    ]) {
      const res = await api().get(path);
      expect(res.status, path).toBe(401);
      expect(res.headers["content-type"]).toMatch(/^application\/json; charset=utf-8/);
    }
    const post = await api().post("/api/v1/admin/domain_blocks").send({ domain: "evil.example" });
    expect(post.status).toBe(401);
    expect(await instance.services.defederation.listBlocks()).toEqual([]);
  });

  it("creates, lists, reads, updates and deletes blocks in Mastodon's shape", async () => {
    const created = await block({
      domain: "Bad.EXAMPLE.",
      severity: "suspend",
      reject_media: true,
      reject_reports: false,
      public_comment: "Spam, harassment",
      private_comment: "",
      obfuscate: false,
      evidence_url: "https://reports.example/1",
    });
    expect(created.status).toBe(200);
    expect(created.headers["cache-control"]).toBe("no-store");
    const id = created.body.id as string;
    expect(Object.keys(created.body).sort()).toEqual(
      [
        "id",
        "domain",
        "digest",
        "created_at",
        "severity",
        "reject_media",
        "reject_reports",
        "private_comment",
        "public_comment",
        "obfuscate",
        "expires_at",
        "evidence_url",
        "origin",
        "staged_severity",
      ].sort(),
    );
    expect(created.body).toMatchObject({
      domain: "bad.example",
      digest: sha256("bad.example"),
      severity: "suspend",
      reject_media: true,
      reject_reports: false,
      private_comment: "",
      public_comment: "Spam, harassment",
      obfuscate: false,
      expires_at: null,
      evidence_url: "https://reports.example/1",
      origin: "manual",
      staged_severity: null,
    });
    expect(typeof id).toBe("string");
    expect(new Date(created.body.created_at).toISOString()).toBe(created.body.created_at);
    // The rule is in force at once.
    expect(instance.services.policy.check("www.bad.example").suspended).toBe(true);

    const list = await api().get("/api/v1/admin/domain_blocks").set(auth);
    expect(list.status).toBe(200);
    expect(list.body).toEqual([created.body]);

    const one = await api().get(`/api/v1/admin/domain_blocks/${id}`).set(auth);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(created.body);

    const updated = await api()
      .put(`/api/v1/admin/domain_blocks/${id}`)
      .set(auth)
      .send({ severity: "silence", public_comment: null, private_comment: "seen in report 4" });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      id,
      domain: "bad.example",
      severity: "silence",
      reject_media: true,
      public_comment: "",
      private_comment: "seen in report 4",
    });
    expect(instance.services.policy.check("bad.example").silenced).toBe(true);

    // The domain of a block is fixed; naming the same one is fine, as Mastodon clients send it back.
    expect(
      (await api().put(`/api/v1/admin/domain_blocks/${id}`).set(auth).send({ domain: "bad.example" })).status,
    ).toBe(200);
    expect(
      (await api().put(`/api/v1/admin/domain_blocks/${id}`).set(auth).send({ domain: "other.example" })).status,
    ).toBe(422);

    const deleted = await api().delete(`/api/v1/admin/domain_blocks/${id}`).set(auth);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({});
    expect(instance.services.policy.check("bad.example").severity).toBe("noop");

    const gone = await api().get(`/api/v1/admin/domain_blocks/${id}`).set(auth);
    expect(gone.status).toBe(404);
    expect(gone.headers["content-type"]).toMatch(/^application\/json; charset=utf-8/);
    expect(gone.body).toMatchObject({ status: 404, error: expect.any(String) });
  });

  it("defaults to silence as Mastodon does, and answers 422 with the existing block for a duplicate", async () => {
    const first = await block({ domain: "dup.example" });
    expect(first.status).toBe(200);
    expect(first.body.severity).toBe("silence");

    const again = await block({ domain: "DUP.example", severity: "suspend" });
    expect(again.status).toBe(422);
    expect(again.headers["content-type"]).toMatch(/^application\/json; charset=utf-8/);
    expect(again.body.existing_domain_block).toEqual(first.body);
    expect(again.body.error).toMatch(/dup\.example/);

    // A subdomain rule is refused unless it limits more than its parent's (Mastodon's stricter_than?).
    const milder = await block({ domain: "a.dup.example", severity: "noop" });
    expect(milder.status).toBe(422);
    expect(milder.body.existing_domain_block.id).toBe(first.body.id);
    const stricter = await block({ domain: "b.dup.example", severity: "suspend" });
    expect(stricter.status).toBe(200);
    // The reject flags count too: a silence without its parent's reject_media limits less.
    expect((await block({ domain: "flags.example", severity: "silence", reject_media: true })).status).toBe(200);
    const noFlag = await block({ domain: "a.flags.example", severity: "silence" });
    expect(noFlag.status).toBe(422);
    expect(noFlag.body.error).toMatch(/^flags\.example, which covers a\.flags\.example/);
    expect(await domains()).toEqual(["b.dup.example", "dup.example", "flags.example"]);
  });

  it("reads form-encoded bodies with string booleans and Atoll's expiry fields", async () => {
    const before = Date.now();
    const res = await api()
      .post("/api/v1/admin/domain_blocks")
      .set(auth)
      .type("form")
      .send("domain=form.example&severity=silence&reject_media=1&reject_reports=false&obfuscate=true&expires_in=3600");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      domain: "form.example",
      severity: "silence",
      reject_media: true,
      reject_reports: false,
      obfuscate: true,
    });
    const expires = Date.parse(res.body.expires_at);
    expect(expires).toBeGreaterThanOrEqual(before + 3600_000);
    expect(expires).toBeLessThan(Date.now() + 3600_000 + 1000);

    const put = await api()
      .put(`/api/v1/admin/domain_blocks/${res.body.id}`)
      .set(auth)
      .type("form")
      .send("reject_media=0&expires_at=2999-01-01T00:00:00Z");
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ reject_media: false, expires_at: "2999-01-01T00:00:00.000Z" });

    const cleared = await api().put(`/api/v1/admin/domain_blocks/${res.body.id}`).set(auth).send({ expires_at: null });
    expect(cleared.body.expires_at).toBeNull();

    // Parameters in the query string count too, as Rails merges them.
    const query = await api().post("/api/v1/admin/domain_blocks?domain=query.example&severity=suspend").set(auth);
    expect(query.status).toBe(200);
    expect(query.body).toMatchObject({ domain: "query.example", severity: "suspend" });
  });

  it("pages blocks by id with Mastodon's Link header", async () => {
    for (let i = 0; i < 5; i++) expect((await block({ domain: `p${i}.example` })).status).toBe(200);
    const all = (await api().get("/api/v1/admin/domain_blocks").set(auth)).body as Array<{ id: string }>;
    const ids = all.map((b) => b.id);
    expect(ids).toEqual([...ids].sort().reverse());

    const first = await api().get("/api/v1/admin/domain_blocks?limit=2").set(auth);
    expect(first.body.map((b: { id: string }) => b.id)).toEqual(ids.slice(0, 2));
    const link = String(first.headers["link"]);
    const next = /<([^>]+)>; rel="next"/.exec(link)?.[1];
    const prev = /<([^>]+)>; rel="prev"/.exec(link)?.[1];
    expect(next).toBe(`http://localhost:0/api/v1/admin/domain_blocks?limit=2&max_id=${ids[1]}`);
    expect(prev).toBe(`http://localhost:0/api/v1/admin/domain_blocks?limit=2&min_id=${ids[0]}`);

    const second = await api()
      .get(new URL(next as string).pathname + new URL(next as string).search)
      .set(auth);
    expect(second.body.map((b: { id: string }) => b.id)).toEqual(ids.slice(2, 4));
    const next2 = /<([^>]+)>; rel="next"/.exec(String(second.headers["link"]))?.[1] as string;
    const third = await api()
      .get(new URL(next2).pathname + new URL(next2).search)
      .set(auth);
    expect(third.body.map((b: { id: string }) => b.id)).toEqual(ids.slice(4));
    expect(String(third.headers["link"])).not.toContain('rel="next"');

    // min_id: the page just above an id; since_id: the newest above it.
    const above = await api().get(`/api/v1/admin/domain_blocks?limit=2&min_id=${ids[4]}`).set(auth);
    expect(above.body.map((b: { id: string }) => b.id)).toEqual(ids.slice(2, 4));
    const since = await api().get(`/api/v1/admin/domain_blocks?limit=2&since_id=${ids[4]}`).set(auth);
    expect(since.body.map((b: { id: string }) => b.id)).toEqual(ids.slice(0, 2));
    // A cursor whose block was deleted still places the page.
    await api().delete(`/api/v1/admin/domain_blocks/${ids[1]}`).set(auth);
    const after = await api().get(`/api/v1/admin/domain_blocks?max_id=${ids[1]}`).set(auth);
    expect(after.body.map((b: { id: string }) => b.id)).toEqual(ids.slice(2));
    // At most 200 per page.
    expect((await api().get("/api/v1/admin/domain_blocks?limit=5000").set(auth)).status).toBe(200);
  });

  it("manages allows in Mastodon's shape", async () => {
    const created = await api().post("/api/v1/admin/domain_allows").set(auth).send({ domain: "Friend.Example" });
    expect(created.status).toBe(200);
    expect(Object.keys(created.body).sort()).toEqual(["created_at", "domain", "id"]);
    expect(created.body.domain).toBe("friend.example");
    const again = await api().post("/api/v1/admin/domain_allows").set(auth).type("form").send("domain=friend.example");
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(created.body.id);
    const list = await api().get("/api/v1/admin/domain_allows").set(auth);
    expect(list.body).toEqual([created.body]);
    expect((await api().get(`/api/v1/admin/domain_allows/${created.body.id}`).set(auth)).body).toEqual(created.body);
    const del = await api().delete(`/api/v1/admin/domain_allows/${created.body.id}`).set(auth);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({});
    expect((await api().get(`/api/v1/admin/domain_allows/${created.body.id}`).set(auth)).status).toBe(404);
  });

  it("raises a staged rule on confirmation", async () => {
    const now = Date.now();
    const staged = domainBlock("staged.example", "silence", {
      id: randomUUID(),
      origin: "subscription",
      stagedSeverity: "suspend",
      createdAt: now,
      updatedAt: now,
    });
    await instance.services.store.defederation.rules.apply([{ op: "create_block", block: staged }], []);
    await instance.services.defederation.load();
    const shown = await api().get(`/api/v1/admin/domain_blocks/${staged.id}`).set(auth);
    expect(shown.body).toMatchObject({ severity: "silence", staged_severity: "suspend" });
    const confirmed = await api().post(`/api/v1/admin/domain_blocks/${staged.id}/confirm`).set(auth);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ severity: "suspend", staged_severity: null });
    expect(instance.services.policy.check("staged.example").suspended).toBe(true);
  });

  it("manages a board's own rules", async () => {
    await instance.services.boards.create({ uri: "b", title: "B" });
    const created = await api()
      .post("/api/v1/admin/boards/b/domain_rules")
      .set(auth)
      .send({ domain: "Noisy.Example", severity: "silence", reject_media: true, comment: "off-topic floods" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      board: "b",
      domain: "noisy.example",
      severity: "silence",
      reject_media: true,
      comment: "off-topic floods",
    });
    expect(instance.services.policy.check("noisy.example", "b").silenced).toBe(true);
    expect(instance.services.policy.check("noisy.example").silenced).toBe(false);
    const list = await api().get("/api/v1/admin/boards/b/domain_rules").set(auth);
    expect(list.body).toEqual([created.body]);
    const del = await api().delete(`/api/v1/admin/boards/b/domain_rules/${created.body.id}`).set(auth);
    expect(del.status).toBe(204);
    expect((await api().get("/api/v1/admin/boards/b/domain_rules").set(auth)).body).toEqual([]);
  });
});
