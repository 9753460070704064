import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csrfOf, signIn } from "../support/admin-session.js";
import { admin, createBoard, domainOf, followBoard, settled, startAtoll } from "../support/defederation-parties.js";
import type { TestInstance } from "../support/instance.js";
import type { Json } from "../support/loopback.js";

/*
 * Severed relationships between real instances on loopback: A's board /a/ follows B's /b/ and is
 * followed by it, and C follows /a/ too. Suspending B records what was cut (API, staff page, public
 * counts); silencing C, or suspending a domain nothing follows, records nothing.
 */

const PASSWORD = "correct horse battery";

describe("severed relationships", () => {
  let A: TestInstance;
  let B: TestInstance;
  let C: TestInstance;

  beforeAll(async () => {
    [A, B, C] = await Promise.all([startAtoll("127.0.0.71"), startAtoll("127.0.0.72"), startAtoll("127.0.0.73")]);
    await Promise.all([createBoard(A, "a"), createBoard(B, "b"), createBoard(C, "c")]);
    await followBoard(A, "a", B, "b");
    await followBoard(B, "b", A, "a");
    await followBoard(C, "c", A, "a");
    await settled(A, B, C);
    await A.services.staff.createUser("boss", PASSWORD, "admin", []);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([A?.stop(), B?.stop(), C?.stop()]);
  });

  const severed = async () => {
    const res = await admin(A, "GET", "/api/v1/admin/severed_relationships");
    expect(res.status).toBe(200);
    return res.json as Json[];
  };

  it("a silence, or a suspension of a domain nothing follows, records nothing", async () => {
    const silence = await admin(A, "POST", "/api/v1/admin/domain_blocks", {
      domain: domainOf(C),
      severity: "silence",
    });
    expect(silence.status).toBe(200);
    const unrelated = await admin(A, "POST", "/api/v1/admin/domain_blocks", {
      domain: "nobody.example",
      severity: "suspend",
    });
    expect(unrelated.status).toBe(200);
    expect(await severed()).toEqual([]);
    expect((await A.services.store.federation.follows.domains()).map((d) => d.domain).sort()).toEqual(
      [domainOf(B), domainOf(C)].sort(),
    );
  });

  it("suspending B records one event with both relationships, shown in the API", async () => {
    const res = await admin(A, "POST", "/api/v1/admin/domain_blocks", {
      domain: domainOf(B),
      severity: "suspend",
      public_comment: "harassment",
      private_comment: "see ticket 7",
    });
    expect(res.status).toBe(200);
    const events = await severed();
    expect(events).toHaveLength(1);
    const e = events[0] as Json;
    expect(e).toMatchObject({
      type: "domain_block",
      target_name: domainOf(B),
      followers_count: 1,
      following_count: 1,
      severity: "suspend",
      public_comment: "harassment",
      origin: "admin",
    });
    expect(JSON.stringify(e)).not.toContain("ticket 7");
    const one = await admin(A, "GET", `/api/v1/admin/severed_relationships/${String(e["id"])}`);
    expect(one.status).toBe(200);
    expect((one.json as Json)["relationships"]).toEqual([
      { board: "a", direction: "inbound", state: "accepted", account: `${B.url}/ap/boards/b`, domain: domainOf(B) },
      { board: "a", direction: "outbound", state: "accepted", account: `${B.url}/ap/boards/b`, domain: domainOf(B) },
    ]);
    expect((await A.services.store.federation.follows.domains()).map((d) => d.domain)).toEqual([domainOf(C)]);

    const filtered = await admin(A, "GET", `/api/v1/admin/severed_relationships?domain=${domainOf(C)}`);
    expect(filtered.json).toEqual([]);
  });

  it("answers unknown events, bad filters and callers without the token in Mastodon's error shape", async () => {
    const missing = await admin(A, "GET", "/api/v1/admin/severed_relationships/no-such-event");
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ error: expect.any(String) });
    const bad = await admin(A, "GET", "/api/v1/admin/severed_relationships?domain=not%20a%20domain");
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: expect.any(String) });
    const anon = await fetch(`${A.url}/api/v1/admin/severed_relationships`);
    expect(anon.status).toBe(401);
  });

  it("shows the event to staff on a page linked from the domain pages", async () => {
    const { agent, res } = await signIn(A.app, "boss", PASSWORD);
    expect(res.status).toBe(303);
    const domains = await agent.get("/admin/domains");
    expect(domains.text).toContain('href="/admin/domains/severed"');
    const list = await agent.get("/admin/domains/severed");
    expect(list.status).toBe(200);
    expect(list.text).toContain(domainOf(B));
    expect(list.text).toContain("harassment");
    const id = /href="\/admin\/domains\/severed\/([^"]+)"/.exec(list.text)?.[1];
    expect(id).toBeDefined();
    const detail = await agent.get(`/admin/domains/severed/${id}`);
    expect(detail.status).toBe(200);
    expect(detail.text).toContain(`${B.url}/ap/boards/b`);
    expect(detail.text).toContain("followed the board");
    expect(detail.text).toContain("followed by the board");
    expect(csrfOf(detail.text)).not.toBe("");
    const missing = await agent.get("/admin/domains/severed/nope");
    expect(missing.status).toBe(404);
  });

  it("tells a CSV import's severance from an admin's, and pages newest first", async () => {
    const remote = "https://listed.example/c/group";
    await A.services.store.federation.follows.add({
      id: `${remote}#follow`,
      actorId: `${A.url}/ap/boards/a`,
      objectId: remote,
      board: "a",
      direction: "outbound",
      state: "pending",
      inbox: `${remote}/inbox`,
      sharedInbox: null,
      domain: "listed.example",
      createdAt: 1,
    });
    await A.services.defederation.importCsv("#domain,#severity,#public_comment\nlisted.example,suspend,bots\n", {
      kind: "user",
      id: "boss",
    });
    const [newest, older, ...rest] = await severed();
    expect(rest).toEqual([]);
    expect(newest).toMatchObject({ target_name: "listed.example", origin: "import", public_comment: "bots" });
    expect(newest).toMatchObject({ followers_count: 0, following_count: 1 });
    expect(older).toMatchObject({ target_name: domainOf(B), origin: "admin" });
    const page = await admin(A, "GET", "/api/v1/admin/severed_relationships?limit=1");
    expect((page.json as Json[]).map((e) => e["target_name"])).toEqual(["listed.example"]);
    const next = await admin(A, "GET", `/api/v1/admin/severed_relationships?limit=1&before=${String(newest!["id"])}`);
    expect((next.json as Json[]).map((e) => e["target_name"])).toEqual([domainOf(B)]);
  });

  it("counts the follows lost on /about/moderation, without naming anyone", async () => {
    const page = await fetch(`${A.url}/about/moderation`);
    const text = await page.text();
    expect(page.status).toBe(200);
    const digest = createHash("sha256").update(domainOf(B)).digest("hex");
    const row = new RegExp(`SHA-256: ${digest}.*?</tr>`).exec(text)?.[0] ?? "";
    expect(row).toContain('<td class="follows-lost">2</td>');
    const cRow = new RegExp(`SHA-256: ${createHash("sha256").update(domainOf(C)).digest("hex")}.*?</tr>`).exec(text);
    expect(cRow?.[0]).toContain('<td class="follows-lost">0</td>');
    expect(text).not.toContain("/ap/boards/b");
  });
});
