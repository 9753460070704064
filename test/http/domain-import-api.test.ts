import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { adminApi, auth, CSV_HEADER, startDomainAdminInstance } from "../support/domain-admin.js";
import type { TestInstance } from "../support/instance.js";

/* Exporting the blocks as Mastodon's CSV and importing such a file, with a dry run, at full size. */

describe("domain moderation admin API", () => {
  let instance: TestInstance;

  beforeEach(async () => {
    instance = await startDomainAdminInstance();
  });

  afterEach(async () => {
    await instance.stop();
  });

  const { api, block, domains } = adminApi(() => instance);

  it("exports Mastodon's CSV and imports it back, with a dry run that changes nothing", async () => {
    await block({ domain: "one.example", severity: "suspend", public_comment: 'Says "hi", then spams' });
    await block({ domain: "two.example", severity: "silence", reject_media: true, obfuscate: true });
    await block({ domain: "three.example", severity: "noop", reject_reports: true });
    const exported = await api().get("/api/v1/admin/domain_blocks/export.csv").set(auth);
    expect(exported.status).toBe(200);
    expect(exported.headers["content-type"]).toMatch(/^text\/csv/);
    expect(exported.headers["content-disposition"]).toMatch(/attachment/);
    const csv = exported.text;
    expect(csv.split("\n")[0]).toBe(CSV_HEADER);
    expect(csv).toContain('one.example,suspend,false,false,"Says ""hi"", then spams",false');

    for (const b of await instance.services.defederation.listBlocks()) {
      await api().delete(`/api/v1/admin/domain_blocks/${b.id}`).set(auth);
    }
    const auditBefore = (await api().get("/api/v1/admin/domain_audit?limit=1000").set(auth)).body.length;

    const withErrors = `${csv}not a domain!,suspend\nfour.example,explode\n`;
    const dry = await api()
      .post("/api/v1/admin/domain_blocks/import?dry_run=true")
      .set(auth)
      .set("Content-Type", "text/csv")
      .send(withErrors);
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({
      dry_run: true,
      applied: 0,
      counts: { create: 3, update: 0, unchanged: 0, errors: 2 },
    });
    expect(dry.body.create.map((e: { domain: string }) => e.domain).sort()).toEqual([
      "one.example",
      "three.example",
      "two.example",
    ]);
    expect(dry.body.errors.map((e: { line: number }) => e.line)).toEqual([5, 6]);
    expect(dry.body.severs).toEqual([]);
    // Nothing changed: no rules, no audit entries.
    expect(await domains()).toEqual([]);
    expect((await api().get("/api/v1/admin/domain_audit?limit=1000").set(auth)).body.length).toBe(auditBefore);

    const applied = await api()
      .post("/api/v1/admin/domain_blocks/import")
      .set(auth)
      .set("Content-Type", "text/csv")
      .send(withErrors);
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ dry_run: false, applied: 3, counts: { create: 3, errors: 2 } });
    expect((await api().get("/api/v1/admin/domain_blocks/export.csv").set(auth)).text).toBe(csv);

    // Importing it again changes nothing; a stricter line tightens the rule.
    const again = await api()
      .post("/api/v1/admin/domain_blocks/import")
      .set(auth)
      .set("Content-Type", "text/csv")
      .send(`${CSV_HEADER}\none.example,suspend,false,false,,false\nthree.example,silence,false,false,,false\n`);
    expect(again.body.counts).toMatchObject({ create: 0, update: 1 });
    expect(again.body.update[0]).toMatchObject({
      domain: "three.example",
      before: { severity: "noop" },
      after: { severity: "silence", reject_reports: true },
    });
  });

  it("imports 20,000 rows", async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `host${i}.bulk.example,suspend,false,false,bulk,false`);
    const started = performance.now();
    const res = await api()
      .post("/api/v1/admin/domain_blocks/import")
      .set(auth)
      .set("Content-Type", "text/csv")
      .send(`${CSV_HEADER}\n${rows.join("\n")}\n`);
    const ms = Math.round(performance.now() - started);
    console.info(`import of 20,000 rows through the admin API: ${ms} ms`);
    expect(res.status).toBe(200);
    expect(res.body.applied).toBe(20_000);
    expect((await instance.services.defederation.listBlocks()).length).toBe(20_000);
    expect(instance.services.policy.check("a.host19999.bulk.example").suspended).toBe(true);
    const page = await api().get("/api/v1/admin/domain_blocks?limit=500").set(auth);
    expect(page.body.length).toBe(200);
    // One more distinct domain than the limit is refused whole.
    const over = await api()
      .post("/api/v1/admin/domain_blocks/import?dry_run=true")
      .set(auth)
      .set("Content-Type", "text/csv")
      .send(`${Array.from({ length: 20_001 }, (_, i) => `h${i}.over.example`).join("\n")}\n`);
    expect(over.status).toBe(413);
  }, 120_000);
});
