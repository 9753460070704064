import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nestFormFields } from "../../server/http/admin/body.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

/*
 * Every admin write reads JSON, urlencoded and multipart bodies alike (Rails' bracket keys and
 * booleans), routes PATCH and PUT to one update, and refuses a body it cannot read.
 */

const TOKEN = "w".repeat(32);
const auth = { Authorization: `Bearer ${TOKEN}` };

describe("admin API bodies", () => {
  let t: TestInstance;
  const api = () => request(t.app);

  beforeAll(async () => {
    t = await startTestInstance({ ADMIN_TOKEN: TOKEN });
  });
  afterAll(() => t.stop());

  it("reads Rails' bracket keys: lists, objects, the last of a repeated plain key", () => {
    expect(
      nestFormFields({
        "keys[]": ["a", "b"],
        "instance_follows[domain]": "x.example",
        "s[t][]": "1",
        plain: ["1", "2"],
      }),
    ).toEqual({ keys: ["a", "b"], instance_follows: { domain: "x.example" }, s: { t: ["1"] }, plain: "2" });
    expect(() => nestFormFields({ "a[b": "1" })).toThrow(/cannot be read/);
    expect(() => nestFormFields({ "__proto__[x]": "1" })).toThrow(/not allowed/);
    expect(() => nestFormFields({ "a[b][c][d][e]": "1" })).toThrow(/cannot be read/);
  });

  it("creates and updates boards from forms, settings typed as the board has them", async () => {
    const created = await api()
      .post("/api/v1/admin/boards")
      .set(auth)
      .type("form")
      .send("uri=b&title=Random&settings[bumpLimit]=200&settings[sfw]=on&settings[allowedTypes][]=image/png");
    expect(created.status).toBe(201);
    expect(created.body.settings).toMatchObject({ bumpLimit: 200, sfw: true, allowedTypes: ["image/png"] });

    const put = await api()
      .put("/api/v1/admin/boards/b")
      .set(auth)
      .field("description", "")
      .field("settings[requireImageForThread]", "0");
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ description: "", settings: { requireImageForThread: false } });
    const bad = await api().patch("/api/v1/admin/boards/b").set(auth).type("form").send("settings[bumpLimit]=many");
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/bumpLimit/);
    expect((await api().put("/api/v1/admin/boards/b").set(auth)).status).toBe(400);
    expect((await t.services.boards.get("b")).settings.bumpLimit).toBe(200);
  });

  it("sets thread flags and bans from forms", async () => {
    const op = await api().post("/api/v1/boards/b/threads").send({ com: "first" });
    expect(op.status).toBe(201);
    const flags = await api().put(`/api/v1/admin/boards/b/threads/${op.body.no}`).set(auth).field("sticky", "1");
    expect(flags.status).toBe(200);
    expect(flags.body).toMatchObject({ sticky: true, locked: false });
    const ban = await api()
      .post("/api/v1/admin/bans")
      .set(auth)
      .type("form")
      .send(`board=b&post=b/${op.body.no}&reason=spam&duration=60`);
    expect(ban.status).toBe(201);
    expect(ban.body).toMatchObject({ board: "b", reason: "spam", expires_at: expect.any(String) });
  });

  it("takes a board rule's reason as public_comment too, and returns it", async () => {
    const rule = await api()
      .post("/api/v1/admin/boards/b/domain_rules")
      .set(auth)
      .field("domain", "rude.example")
      .field("severity", "silence")
      .field("public_comment", "rude replies");
    expect(rule.status).toBe(201);
    expect(rule.body).toMatchObject({ domain: "rude.example", severity: "silence", comment: "rude replies" });
    const both = await api()
      .post("/api/v1/admin/boards/b/domain_rules")
      .set(auth)
      .send({ domain: "other.example", comment: "a", public_comment: "b" });
    expect(both.status).toBe(422);
  });

  it("updates subscriptions and the consensus with PUT or PATCH, in any encoding", async () => {
    const sub = await api()
      .post("/api/v1/admin/domain_subscriptions")
      .set(auth)
      .type("form")
      .send("url=https://lists.example/a.csv&excludes[]=one.example&excludes[]=two.example&draft=true");
    expect(sub.status).toBe(201);
    expect(sub.body).toMatchObject({ excludes: ["one.example", "two.example"], draft: true });
    const put = await api()
      .put(`/api/v1/admin/domain_subscriptions/${sub.body.id}`)
      .set(auth)
      .field("priority", "3")
      .field("draft", "off");
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ priority: 3, draft: false });
    const consensus = await api()
      .patch("/api/v1/admin/domain_subscriptions/consensus")
      .set(auth)
      .type("form")
      .send("min_sources=2&stage_while_followed=0");
    expect(consensus.status).toBe(200);
    expect(consensus.body).toMatchObject({ min_sources: 2, stage_while_followed: false });
    const empty = await api().patch(`/api/v1/admin/domain_subscriptions/${sub.body.id}`).set(auth).send({});
    expect(empty.status).toBe(400);
  });

  it("refuses a body in another type, or a file, and changes nothing", async () => {
    const text = await api()
      .post("/api/v1/admin/domain_allows")
      .set(auth)
      .set("Content-Type", "text/plain")
      .send("domain=friends.example");
    expect(text.status).toBe(415);
    expect(text.headers["content-type"]).toBe("application/json; charset=utf-8");
    const file = await api()
      .post("/api/v1/admin/domain_allows")
      .set(auth)
      .field("domain", "friends.example")
      .attach("list", Buffer.from("x"), "list.txt");
    expect(file.status).toBe(400);
    expect(file.body.error).toMatch(/fields only/);
    const broken = await api()
      .post("/api/v1/admin/domain_allows")
      .set(auth)
      .set("Content-Type", "multipart/form-data; boundary=xyz")
      .send('--xyz\r\nContent-Disposition: form-data; name="domain"\r\n\r\nfriends.exa');
    expect(broken.status).toBe(400);
    expect(await t.services.defederation.listAllows()).toEqual([]);
    const allowed = await api()
      .post("/api/v1/admin/domain_allows")
      .set(auth)
      .type("form")
      .send("domain=friends.example");
    expect(allowed.status).toBe(200);
    expect((await t.services.defederation.listAllows()).map((a) => a.domain)).toEqual(["friends.example"]);
  });
});
