import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { adminApi, auth, startDomainAdminInstance } from "../support/domain-admin.js";
import type { TestInstance } from "../support/instance.js";

/* The audit log of domain moderation through the admin API: entries, paging, filtering, CSV. */

describe("domain moderation admin API", () => {
  let instance: TestInstance;

  beforeEach(async () => {
    instance = await startDomainAdminInstance();
  });

  afterEach(async () => {
    await instance.stop();
  });

  const { api, block } = adminApi(() => instance);

  it("keeps an audit log with paging and a CSV export", async () => {
    const { body: b } = await block({ domain: "audited.example", severity: "suspend", private_comment: "=cmd()" });
    await api().put(`/api/v1/admin/domain_blocks/${b.id}`).set(auth).send({ severity: "silence" });
    await api().post("/api/v1/admin/domain_allows").set(auth).send({ domain: "friend.example" });
    await api().delete(`/api/v1/admin/domain_blocks/${b.id}`).set(auth);

    const log = await api().get("/api/v1/admin/domain_audit").set(auth);
    expect(log.status).toBe(200);
    expect(log.body.map((e: { action: string }) => e.action)).toEqual([
      "block.delete",
      "allow.create",
      "block.update",
      "block.create",
    ]);
    for (const e of log.body) expect(e.actor).toEqual({ kind: "token", id: "ADMIN_TOKEN" });
    expect(log.body[2]).toMatchObject({
      domain: "audited.example",
      before: { severity: "suspend" },
      after: { severity: "silence" },
    });

    const page = await api().get("/api/v1/admin/domain_audit?limit=2").set(auth);
    expect(page.body).toHaveLength(2);
    const next = /<([^>]+)>; rel="next"/.exec(String(page.headers["link"]))?.[1] as string;
    expect(next).toContain(`before=${page.body[1].id}`);
    const older = await api()
      .get(new URL(next).pathname + new URL(next).search)
      .set(auth);
    expect(older.body.map((e: { action: string }) => e.action)).toEqual(["block.update", "block.create"]);
    const filtered = await api().get("/api/v1/admin/domain_audit?domain=FRIEND.example").set(auth);
    expect(filtered.body.map((e: { action: string }) => e.action)).toEqual(["allow.create"]);

    const csv = await api().get("/api/v1/admin/domain_audit.csv").set(auth);
    expect(csv.status).toBe(200);
    expect(csv.headers["content-type"]).toMatch(/^text\/csv/);
    const lines = csv.text.trimEnd().split("\n");
    expect(lines[0]).toBe("id,at,actor_kind,actor_id,action,domain,subscription_id,reason,before,after");
    expect(lines).toHaveLength(5);
    expect(lines[1]).toContain(",token,ADMIN_TOKEN,block.create,audited.example,");
    // A reason that looks like a formula is defused for spreadsheets.
    expect(lines[1]).toContain(",'=cmd(),");
    expect(lines[4]).toContain(",block.delete,");

    // A minted token is named by its id.
    const minted = await instance.services.staff.createToken("blocklist bot");
    await api()
      .post("/api/v1/admin/domain_blocks")
      .set({ Authorization: `Bearer ${minted.token}` })
      .send({ domain: "by-bot.example", severity: "silence" });
    const byBot = await api().get("/api/v1/admin/domain_audit?limit=1").set(auth);
    expect(byBot.body[0]).toMatchObject({ domain: "by-bot.example", actor: { kind: "token", id: minted.id } });
  });
});
