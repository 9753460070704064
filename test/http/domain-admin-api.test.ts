import { createHash, randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import request from "supertest";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { domainBlock } from "../support/domain-rules.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

const TOKEN = "t".repeat(32);
const auth = { Authorization: `Bearer ${TOKEN}` };
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const CSV_HEADER = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate";

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
  /** Whether the federation provides the blocklist fetcher, or this test had to (reported once). */
  let fetcherSource: "federation" | "test" | null = null;

  beforeAll(async () => {
    await lists.start();
  });

  afterAll(async () => {
    await lists.stop();
    if (fetcherSource) console.info(`blocklist fetcher used by the sync tests: ${fetcherSource}`);
  });

  beforeEach(async () => {
    instance = await startTestInstance({ ADMIN_TOKEN: TOKEN, ALLOW_PRIVATE_ADDRESSES: "on" });
  });

  afterEach(async () => {
    await instance.stop();
  });

  const api = () => request(instance.app);
  const block = (body: Record<string, unknown>) => api().post("/api/v1/admin/domain_blocks").set(auth).send(body);

  /**
   * Syncs through the API. When the federation has not connected its fetcher to the service, a
   * fetcher over Node's own HTTP client is connected here, against the same real list server.
   */
  async function sync(id: string) {
    let res = await api().post(`/api/v1/admin/domain_subscriptions/${id}/sync`).set(auth);
    if (res.status === 503 && /federation/i.test(String(res.body.detail))) {
      instance.services.domains.connect({
        fetcher: {
          async fetch(url) {
            const r = await fetch(url);
            if (!r.ok) throw new Error(`HTTP ${r.status}`);
            return { text: await r.text(), contentType: r.headers.get("content-type") };
          },
        },
      });
      fetcherSource = "test";
      res = await api().post(`/api/v1/admin/domain_subscriptions/${id}/sync`).set(auth);
    } else {
      fetcherSource ??= "federation";
    }
    return res;
  }

  async function domains(): Promise<string[]> {
    return (await instance.services.domains.listBlocks()).map((b) => b.domain).sort();
  }

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
      expect(res.headers["content-type"]).toMatch(/application\/problem\+json/);
    }
    const post = await api().post("/api/v1/admin/domain_blocks").send({ domain: "evil.example" });
    expect(post.status).toBe(401);
    expect(await instance.services.domains.listBlocks()).toEqual([]);
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
      private_comment: null,
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
      public_comment: null,
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
    expect(gone.headers["content-type"]).toMatch(/application\/problem\+json/);
    expect(gone.body).toMatchObject({ status: 404, error: expect.any(String) });
  });

  it("defaults to silence as Mastodon does, and answers 422 with the existing block for a duplicate", async () => {
    const first = await block({ domain: "dup.example" });
    expect(first.status).toBe(200);
    expect(first.body.severity).toBe("silence");

    const again = await block({ domain: "DUP.example", severity: "suspend" });
    expect(again.status).toBe(422);
    expect(again.headers["content-type"]).toMatch(/application\/problem\+json/);
    expect(again.body.existing_domain_block).toEqual(first.body);
    expect(again.body.error).toMatch(/dup\.example/);

    // A subdomain rule is refused unless it limits more than its parent's (Mastodon's stricter_than?).
    const milder = await block({ domain: "a.dup.example", severity: "noop" });
    expect(milder.status).toBe(422);
    expect(milder.body.existing_domain_block.id).toBe(first.body.id);
    const stricter = await block({ domain: "b.dup.example", severity: "suspend" });
    expect(stricter.status).toBe(200);
    expect(await domains()).toEqual(["b.dup.example", "dup.example"]);
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
      expect(res.headers["content-type"], name).toMatch(/application\/problem\+json/);
      expect(res.body.detail, name).toEqual(expect.any(String));
    }
    expect(await domains()).toEqual(["good.example"]);
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

    for (const b of await instance.services.domains.listBlocks()) {
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
    expect((await instance.services.domains.listBlocks()).length).toBe(20_000);
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
  }, 60_000);

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
    const byDomain = new Map((await instance.services.domains.listBlocks()).map((b) => [b.domain, b]));
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
    expect((await instance.services.domains.listBlocks())[0]?.severity).toBe("silence");

    const audit = (await api().get("/api/v1/admin/domain_audit?domain=both.example").set(auth)).body;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: "block.create", subscription_id: expect.any(String) });
  });

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

  it("raises a staged rule on confirmation", async () => {
    const now = Date.now();
    const staged = domainBlock("staged.example", "silence", {
      id: randomUUID(),
      origin: "subscription",
      stagedSeverity: "suspend",
      createdAt: now,
      updatedAt: now,
    });
    await instance.services.store.domains.rules.apply([{ op: "create_block", block: staged }], []);
    await instance.services.domains.load();
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

  it("publishes the public list with digests and obfuscation, with CORS", async () => {
    await block({ domain: "open.example", severity: "suspend", public_comment: "spam" });
    await block({ domain: "hidden-name.example", severity: "silence", obfuscate: true });
    await block({ domain: "flags-only.example", severity: "noop", reject_media: true });
    const res = await request(instance.app).get("/api/v1/instance/domain_blocks");
    expect(res.status).toBe(200);
    expect(res.headers["access-control-allow-origin"]).toBe("*");
    expect(res.headers["content-type"]).toMatch(/application\/json/);
    const masked = res.body.find((b: { digest: string }) => b.digest === sha256("hidden-name.example"));
    expect(masked).toEqual({
      domain: expect.stringMatching(/^hid.*\*.*ple$/),
      digest: sha256("hidden-name.example"),
      severity: "silence",
      comment: null,
    });
    expect(masked.domain).not.toBe("hidden-name.example");
    expect(res.body).toContainEqual({
      domain: "open.example",
      digest: sha256("open.example"),
      severity: "suspend",
      comment: "spam",
    });
    expect(res.body).toHaveLength(2);

    // The list follows the rules as they change.
    const open = (await instance.services.domains.listBlocks()).find((b) => b.domain === "open.example")!;
    await api().delete(`/api/v1/admin/domain_blocks/${open.id}`).set(auth);
    const after = await request(instance.app).get("/api/v1/instance/domain_blocks");
    expect(after.body.map((b: { domain: string }) => b.domain)).not.toContain("open.example");
    const preflight = await request(instance.app).options("/api/v1/instance/domain_blocks");
    expect(preflight.status).toBe(204);
    expect(preflight.headers["access-control-allow-origin"]).toBe("*");
  });

  it("lists the public rules on /about/moderation, and the allowed servers in allowlist mode", async () => {
    const empty = await request(instance.app).get("/about/moderation");
    expect(empty.status).toBe(200);
    expect(empty.text).toContain("does not limit any server");

    await block({ domain: "rude.example", severity: "suspend", public_comment: "Harassment <script>" });
    await block({ domain: "secret-place.example", severity: "silence", obfuscate: true });
    const page = await request(instance.app).get("/about/moderation");
    expect(page.status).toBe(200);
    expect(page.text).toContain('id="servers"');
    expect(page.text).toContain("<code");
    expect(page.text).toContain("rude.example");
    expect(page.text).toContain("Harassment &lt;script&gt;");
    expect(page.text).not.toContain("secret-place.example");
    expect(page.text).toContain(sha256("secret-place.example"));

    const allow = await startTestInstance({ ADMIN_TOKEN: TOKEN, FEDERATION_MODE: "allowlist" });
    try {
      await request(allow.app).post("/api/v1/admin/domain_allows").set(auth).send({ domain: "pal.example" });
      const text = (await request(allow.app).get("/about/moderation")).text;
      expect(text).toContain("only with the servers listed here");
      expect(text).toContain("pal.example");
    } finally {
      await allow.stop();
    }
  });
});
