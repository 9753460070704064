import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { csrfOf, signIn as signInAs } from "../support/admin-session.js";
import { domainBlock } from "../support/domain-rules.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

const PASSWORD = "correct horse battery";
const CSV_HEADER = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate";

describe("domain moderation admin pages", () => {
  let instance: TestInstance;

  beforeEach(async () => {
    instance = await startTestInstance({ ALLOW_PRIVATE_ADDRESSES: "on" });
    await instance.services.boards.create({ uri: "b", title: "B" });
    await instance.services.boards.create({ uri: "g", title: "G" });
    await instance.services.staff.createUser("boss", PASSWORD, "admin", []);
    await instance.services.staff.createUser("owner", PASSWORD, "board_owner", ["b"]);
    await instance.services.staff.createUser("vol", PASSWORD, "board_volunteer", ["b"]);
  });

  afterEach(async () => {
    await instance.stop();
  });

  async function signIn(username: string) {
    const { agent, res } = await signInAs(instance.app, username, PASSWORD);
    expect(res.status).toBe(303);
    const csrf = csrfOf((await agent.get("/admin")).text);
    return { agent, csrf };
  }

  const blocks = () => instance.services.defederation.listBlocks();

  it("adds, edits and deletes blocks with CSRF-checked forms", async () => {
    const { agent, csrf } = await signIn("boss");
    const dash = await agent.get("/admin");
    expect(dash.text).toContain('href="/admin/domains"');

    const page = await agent.get("/admin/domains");
    expect(page.status).toBe(200);
    expect(page.headers["cache-control"]).toBe("no-store");
    expect(page.text).toContain('action="/admin/domains"');
    expect(page.text).toContain("No rules yet");

    // Without the form token nothing happens.
    const forged = await agent
      .post("/admin/domains")
      .type("form")
      .send({ domain: "evil.example", severity: "suspend", back: "/admin/domains" });
    expect(forged.status).toBe(403);
    expect(await blocks()).toEqual([]);
    const wrong = await agent
      .post("/admin/domains")
      .type("form")
      .send({ csrf: `${csrf}x`, domain: "evil.example", severity: "suspend" });
    expect(wrong.status).toBe(403);
    expect(await blocks()).toEqual([]);

    const added = await agent.post("/admin/domains").type("form").send({
      csrf,
      back: "/admin/domains",
      domain: "Evil.Example",
      severity: "silence",
      reject_media: "1",
      public_comment: "Spam <b>waves</b>",
      private_comment: "see report",
      expires_at: "",
      expires_in: "604800",
      evidence_url: "https://reports.example/7",
    });
    expect(added.status).toBe(303);
    expect(added.headers["location"]).toBe("/admin/domains?ok=domain_block_created");
    const [b] = await blocks();
    expect(b).toMatchObject({
      domain: "evil.example",
      severity: "silence",
      rejectMedia: true,
      rejectReports: false,
      obfuscate: false,
      publicComment: "Spam <b>waves</b>",
      privateComment: "see report",
      evidenceUrl: "https://reports.example/7",
      origin: "manual",
    });
    expect(b?.expiresAt).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    const audit = await instance.services.defederation.audit({});
    expect(audit[0]).toMatchObject({ action: "block.create", actor: { kind: "user", id: "boss" } });

    const list = await agent.get("/admin/domains?ok=domain_block_created");
    expect(list.text).toContain("Domain block added.");
    expect(list.text).toContain("evil.example");
    expect(list.text).toContain("Spam &lt;b&gt;waves&lt;/b&gt;");

    const id = b!.id;
    const edit = await agent.get(`/admin/domains/blocks/${id}`);
    expect(edit.status).toBe(200);
    expect(edit.text).toContain(`action="/admin/domains/blocks/${id}"`);
    const shownExpiry = /name="expires_at" value="([^"]*)"/.exec(edit.text)?.[1];
    expect(shownExpiry).toBe(new Date(b!.expiresAt!).toISOString().slice(0, 16));

    // Saving with the expiry as shown keeps it exactly; unticked boxes turn flags off.
    const saved = await agent.post(`/admin/domains/blocks/${id}`).type("form").send({
      csrf,
      back: "/admin/domains",
      severity: "suspend",
      public_comment: "Spam",
      private_comment: "",
      expires_at: shownExpiry,
      expires_in: "",
      evidence_url: "",
    });
    expect(saved.status).toBe(303);
    const [after] = await blocks();
    expect(after).toMatchObject({
      severity: "suspend",
      rejectMedia: false,
      publicComment: "Spam",
      evidenceUrl: null,
      expiresAt: b!.expiresAt,
    });

    // Clearing the field removes the expiry.
    await agent.post(`/admin/domains/blocks/${id}`).type("form").send({
      csrf,
      severity: "suspend",
      expires_at: "",
      expires_in: "",
    });
    expect((await blocks())[0]?.expiresAt).toBeNull();

    // Bad input is refused inside the admin frame, with its status.
    const bad = await agent
      .post("/admin/domains")
      .type("form")
      .send({ csrf, domain: "not a domain", severity: "suspend" });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('class="admin-error"');
    const badSeverity = await agent
      .post(`/admin/domains/blocks/${id}`)
      .type("form")
      .send({ csrf, severity: "obliterate" });
    expect(badSeverity.status).toBe(422);
    const past = await agent
      .post("/admin/domains")
      .type("form")
      .send({ csrf, domain: "later.example", expires_at: "2001-01-01T00:00" });
    expect(past.status).toBe(400);
    expect((await agent.get(`/admin/domains/blocks/${randomUUID()}`)).status).toBe(404);

    const deleted = await agent
      .post(`/admin/domains/blocks/${id}/delete`)
      .type("form")
      .send({ csrf, back: "/admin/domains" });
    expect(deleted.status).toBe(303);
    expect(await blocks()).toEqual([]);
  });

  it("pages and filters a long rule list", async () => {
    const csv = Array.from({ length: 250 }, (_, i) => `h${String(i).padStart(3, "0")}.many.example`).join("\n");
    await instance.services.defederation.importCsv(csv, { kind: "cli", id: "" });
    const { agent } = await signIn("boss");
    const first = await agent.get("/admin/domains");
    expect(first.text).toContain("250 rules");
    expect(first.text).toContain("Page 1 of 3");
    expect(first.text).toContain("h099.many.example");
    expect(first.text).not.toContain("h100.many.example");
    const third = await agent.get("/admin/domains?page=3");
    expect(third.text).toContain("h249.many.example");
    const filtered = await agent.get("/admin/domains?q=h12");
    expect(filtered.text).toContain("10 matching");
  });

  it("refuses a subdomain rule no stricter than its parent's, with the parent named", async () => {
    const { agent, csrf } = await signIn("boss");
    const rule = { csrf, back: "/admin/domains", expires_at: "", expires_in: "" };
    const parent = await agent
      .post("/admin/domains")
      .type("form")
      .send({ ...rule, domain: "spam.example", severity: "silence", reject_media: "1" });
    expect(parent.status).toBe(303);
    const laxer = await agent
      .post("/admin/domains")
      .type("form")
      .send({ ...rule, domain: "a.spam.example", severity: "silence" });
    expect(laxer.status).toBe(409);
    expect(laxer.text).toContain('class="admin-error"');
    expect(laxer.text).toContain("spam.example, which covers a.spam.example");
    const stricter = await agent
      .post("/admin/domains")
      .type("form")
      .send({ ...rule, domain: "b.spam.example", severity: "suspend" });
    expect(stricter.status).toBe(303);
    expect((await blocks()).map((b) => b.domain).sort()).toEqual(["b.spam.example", "spam.example"]);
  });

  it("manages allows", async () => {
    const { agent, csrf } = await signIn("boss");
    const page = await agent.get("/admin/domains/allows");
    expect(page.text).toContain("blocklist mode");
    const added = await agent
      .post("/admin/domains/allows")
      .type("form")
      .send({ csrf, back: "/admin/domains/allows", domain: "friend.example", comment: "partner" });
    expect(added.status).toBe(303);
    const [allow] = await instance.services.defederation.listAllows();
    expect(allow).toMatchObject({ domain: "friend.example", comment: "partner" });
    expect((await agent.get("/admin/domains/allows")).text).toContain("friend.example");
    await agent.post(`/admin/domains/allows/${allow!.id}/delete`).type("form").send({ csrf });
    expect(await instance.services.defederation.listAllows()).toEqual([]);
  });

  it("imports a CSV through a preview, uploaded or pasted, changing nothing before confirmation", async () => {
    const { agent, csrf } = await signIn("boss");
    expect((await agent.get("/admin/domains/import")).text).toContain('enctype="multipart/form-data"');
    const csv = `${CSV_HEADER}\nup.example,suspend,false,false,"a, b",false\nlimit.example,silence,true,false,,false\nbroken line!,suspend\n`;

    const forged = await agent
      .post("/admin/domains/import/preview")
      .attach("file", Buffer.from(csv), { filename: "list.csv", contentType: "text/csv" });
    expect(forged.status).toBe(403);

    const preview = await agent
      .post("/admin/domains/import/preview")
      .field("csrf", csrf)
      .attach("file", Buffer.from(csv), { filename: "list.csv", contentType: "text/csv" });
    expect(preview.status).toBe(200);
    expect(preview.text).toContain("2 new rules");
    expect(preview.text).toContain("up.example");
    expect(preview.text).toContain("limit.example");
    expect(preview.text).toContain("Lines with errors");
    expect(preview.text).toContain("<td>4</td>");
    expect(preview.text).toContain("Apply 2 changes");
    expect(await blocks()).toEqual([]);

    // The confirmation carries the list back; without the token it is refused.
    const carried = /<textarea name="csv" hidden>([\s\S]*?)<\/textarea>/.exec(preview.text)?.[1] ?? "";
    const text = carried.replaceAll("&quot;", '"').replaceAll("&#39;", "'").replaceAll("&amp;", "&");
    expect(text).toContain("up.example");
    expect((await agent.post("/admin/domains/import").field("csv", text)).status).toBe(403);
    expect(await blocks()).toEqual([]);
    const applied = await agent.post("/admin/domains/import").field("csrf", csrf).field("csv", text);
    expect(applied.status).toBe(200);
    expect(applied.text).toContain("2 changes applied");
    expect((await blocks()).map((b) => [b.domain, b.severity, b.publicComment])).toEqual([
      ["limit.example", "silence", ""],
      ["up.example", "suspend", "a, b"],
    ]);

    // Pasted text works the same; an empty form is refused.
    const pasted = await agent
      .post("/admin/domains/import/preview")
      .field("csrf", csrf)
      .field("csv", "third.example\n");
    expect(pasted.status).toBe(200);
    expect(pasted.text).toContain("1 new rule");
    expect((await agent.post("/admin/domains/import/preview").field("csrf", csrf).field("csv", "")).status).toBe(400);

    const exported = await agent.get("/admin/domains/export.csv");
    expect(exported.status).toBe(200);
    expect(exported.headers["content-type"]).toMatch(/^text\/csv/);
    expect(exported.text.split("\n")[0]).toBe(CSV_HEADER);
  });

  it("adds, syncs, applies and deletes subscriptions, and saves the consensus", async () => {
    let body = `${CSV_HEADER}\nlisted.example,suspend,false,false,from the list,false\n`;
    const server: Server = createServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/csv" }).end(body);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/list.csv`;
    try {
      const { agent, csrf } = await signIn("boss");
      const added = await agent.post("/admin/domains/subscriptions").type("form").send({
        csrf,
        back: "/admin/domains/subscriptions",
        url,
        format: "auto",
        priority: "3",
        excludes: "keep.example\nalso.example",
        draft: "1",
      });
      expect(added.status).toBe(303);
      const [sub] = await instance.services.defederation.listSubscriptions();
      expect(sub).toMatchObject({ url, priority: 3, excludes: ["keep.example", "also.example"], draft: true });
      const page = await agent.get("/admin/domains/subscriptions");
      expect(page.text).toContain(url);
      expect(page.text).toContain("never");
      expect(page.text).toContain("Apply draft");

      const synced = await agent.post(`/admin/domains/subscriptions/${sub!.id}/sync`).type("form").send({ csrf });
      expect(synced.status).toBe(303);
      expect(synced.headers["location"]).toContain("subscription_synced_draft");
      expect(await blocks()).toEqual([]);
      const afterSync = await agent.get("/admin/domains/subscriptions");
      expect(afterSync.text).toContain("would change: 1 created");
      expect(afterSync.text).toContain("listed.example");

      await agent.post(`/admin/domains/subscriptions/${sub!.id}/apply`).type("form").send({ csrf });
      expect((await blocks()).map((b) => [b.domain, b.origin])).toEqual([["listed.example", "subscription"]]);

      // Made live, a sync follows the list.
      await agent.post(`/admin/domains/subscriptions/${sub!.id}/draft`).type("form").send({ csrf, draft: "" });
      expect((await instance.services.defederation.getSubscription(sub!.id)).draft).toBe(false);
      body = `${CSV_HEADER}\n`;
      await agent.post(`/admin/domains/subscriptions/${sub!.id}/sync`).type("form").send({ csrf });
      expect(await blocks()).toEqual([]);

      const consensus = await agent.post("/admin/domains/consensus").type("form").send({
        csrf,
        min_sources: "2",
        min_share: "0.5",
        merge: "mildest",
      });
      expect(consensus.status).toBe(303);
      expect(await instance.services.defederation.consensus()).toEqual({
        minSources: 2,
        minShare: 0.5,
        merge: "mildest",
        stageWhileFollowed: false,
      });
      expect((await agent.post("/admin/domains/consensus").type("form").send({ csrf, min_sources: "0" })).status).toBe(
        400,
      );
      expect(
        (await agent.post("/admin/domains/consensus").type("form").send({ csrf, min_sources: "2", min_share: "7" }))
          .status,
      ).toBe(400);

      await agent.post(`/admin/domains/subscriptions/${sub!.id}/delete`).type("form").send({ csrf });
      expect(await instance.services.defederation.listSubscriptions()).toEqual([]);
      const bad = await agent.post("/admin/domains/subscriptions").type("form").send({ csrf, url: "not a url" });
      expect(bad.status).toBe(400);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("raises a staged rule from the list", async () => {
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
    const { agent, csrf } = await signIn("boss");
    const page = await agent.get("/admin/domains");
    expect(page.text).toContain("staged: suspend");
    expect(page.text).toContain(`action="/admin/domains/blocks/${staged.id}/confirm"`);
    await agent.post(`/admin/domains/blocks/${staged.id}/confirm`).type("form").send({ csrf });
    expect((await blocks())[0]).toMatchObject({ severity: "suspend", stagedSeverity: null });
  });

  it("shows the audit log, paged and filtered, with a CSV export", async () => {
    const actor = { kind: "user" as const, id: "someone" };
    for (let i = 0; i < 55; i++) await instance.services.defederation.createAllow({ domain: `a${i}.example` }, actor);
    await instance.services.defederation.createBlock({ domain: "logged.example" }, actor, "why not");
    const { agent } = await signIn("boss");
    const page = await agent.get("/admin/domains/audit");
    expect(page.status).toBe(200);
    expect(page.text).toContain("logged.example");
    expect(page.text).toContain("user: someone");
    expect(page.text).toContain("Older entries");
    const older = /href="(\/admin\/domains\/audit\?before=[^"]+)"/.exec(page.text)?.[1] as string;
    const second = await agent.get(older.replaceAll("&amp;", "&"));
    expect(second.text).toContain("a0.example");
    expect(second.text).not.toContain("Older entries");
    const filtered = await agent.get("/admin/domains/audit?domain=logged.example");
    expect(filtered.text).toContain("why not");
    expect(filtered.text).not.toContain("a1.example");
    const csv = await agent.get("/admin/domains/audit.csv");
    expect(csv.status).toBe(200);
    expect(csv.headers["content-type"]).toMatch(/^text\/csv/);
    expect(csv.text.trimEnd().split("\n")).toHaveLength(57);
  });

  it("lets board owners manage their board's rules only, and keeps the instance pages to admins", async () => {
    const { agent, csrf } = await signIn("owner");
    expect((await agent.get("/admin/domains")).status).toBe(403);
    expect((await agent.get("/admin/domains/audit.csv")).status).toBe(403);
    expect((await agent.post("/admin/domains").type("form").send({ csrf, domain: "x.example" })).status).toBe(403);
    expect(await blocks()).toEqual([]);
    expect((await agent.get("/admin/boards")).text).toContain('href="/admin/boards/b/domains"');

    const page = await agent.get("/admin/boards/b/domains");
    expect(page.status).toBe(200);
    expect(page.text).toContain("No rules for this board");
    const forged = await agent
      .post("/admin/boards/b/domains")
      .type("form")
      .send({ domain: "noisy.example", severity: "silence" });
    expect(forged.status).toBe(403);
    const added = await agent.post("/admin/boards/b/domains").type("form").send({
      csrf,
      back: "/admin/boards/b/domains",
      domain: "noisy.example",
      severity: "silence",
      reject_media: "1",
      comment: "floods",
    });
    expect(added.status).toBe(303);
    const [rule] = await instance.services.defederation.listBoardRules("b");
    expect(rule).toMatchObject({ board: "b", domain: "noisy.example", severity: "silence", rejectMedia: true });
    expect((await instance.services.defederation.audit({}))[0]?.actor).toEqual({ kind: "user", id: "owner" });
    expect((await agent.get("/admin/boards/b/domains")).text).toContain("noisy.example");

    // Another board is not theirs.
    expect((await agent.get("/admin/boards/g/domains")).status).toBe(403);
    expect((await agent.post("/admin/boards/g/domains").type("form").send({ csrf, domain: "x.example" })).status).toBe(
      403,
    );
    // A name no board can have is not found, before whether they may manage it.
    const misnamed = await agent.get("/admin/boards/Not%20a%20board/domains");
    expect(misnamed.status).toBe(404);
    expect(misnamed.text).toContain("does not exist.");
    const bad = await agent
      .post("/admin/boards/b/domains")
      .type("form")
      .send({ csrf, domain: "y.example", severity: "noop" });
    expect(bad.status).toBe(400);

    await agent.post(`/admin/boards/b/domains/${rule!.id}/delete`).type("form").send({ csrf });
    expect(await instance.services.defederation.listBoardRules("b")).toEqual([]);

    const vol = await signIn("vol");
    expect((await vol.agent.get("/admin/boards/b/domains")).status).toBe(403);
    expect((await vol.agent.get("/admin/domains/subscriptions")).status).toBe(403);
  });

  it("sends the signed-out to the sign-in page, uploads included", async () => {
    const anon = request(instance.app);
    const page = await anon.get("/admin/domains");
    expect(page.status).toBe(303);
    expect(page.headers["location"]).toBe("/admin");
    const upload = await anon
      .post("/admin/domains/import/preview")
      .attach("file", Buffer.from("x.example\n"), { filename: "l.csv", contentType: "text/csv" });
    expect(upload.status).toBe(303);
    expect(await blocks()).toEqual([]);
  });
});
