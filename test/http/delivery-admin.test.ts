import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../server/cli/main.js";
import type { NewDelivery } from "../../server/domain/federation-ports.js";
import { csrfOf, signIn } from "../support/admin-session.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

const PUBLIC_URL = "http://atoll.test";
const TOKEN = "delivery-admin-token-0123456789";
const PASSWORD = "correct horse battery";
const auth = { authorization: `Bearer ${TOKEN}` };

function item(id: string, inbox: string): NewDelivery {
  return {
    id,
    inbox,
    domain: new URL(inbox).hostname,
    body: JSON.stringify({ id: `${PUBLIC_URL}/activities/${id}`, type: "Create" }),
    keyId: `${PUBLIC_URL}/ap/boards/b`,
    activityId: `${PUBLIC_URL}/activities/${id}`,
  };
}

interface DroppedJson {
  id: string;
  delivery_id: string;
  domain: string;
  inbox: string;
  last_error: string;
  replayable: boolean;
}

describe("dropped deliveries: admin API, admin page and command line", () => {
  let t: TestInstance;

  beforeAll(async () => {
    // A web-only process: nothing is sent, so what is queued again stays visible in the queue.
    t = await startTestInstance({ PUBLIC_URL, ADMIN_TOKEN: TOKEN, ATOLL_ROLE: "web" });
    await t.services.boards.create({ uri: "b", title: "B" });
    await t.services.staff.createUser("boss", PASSWORD, "admin", []);
    await t.services.staff.createUser("mod", PASSWORD, "global_mod", []);
    const { deliveries } = t.services.store.federation;
    const now = Date.now();
    // Dropped: four for ok.example (two inboxes), one each for bad.example and far.example.
    const dropped = [
      item("ok1", "https://ok.example/a"),
      item("ok2", "https://ok.example/a"),
      item("ok3", "https://ok.example/b"),
      item("ok4", "https://ok.example/a"),
      item("bad1", "https://bad.example/inbox"),
      item("far1", "https://far.example/inbox"),
    ];
    for (const [k, d] of dropped.entries()) {
      await deliveries.enqueue([d], now + k);
      await deliveries.claim(now + k, 10, 60_000, 10);
      await deliveries.drop(d.id, `HTTP 40${k}`, now + k);
    }
    // Waiting: a backlog of three for wait.example, its head failing.
    await deliveries.enqueue(
      ["w1", "w2", "w3"].map((id) => item(id, "https://wait.example/inbox")),
      now,
    );
    await deliveries.claim(now + 100, 10, 60_000, 10);
    await deliveries.fail("w1", { at: now + 600_000, error: "HTTP 503", now: now + 100 });
    await t.services.defederation.createBlock({ domain: "bad.example", severity: "suspend" }, { kind: "cli", id: "" });
  });

  afterAll(async () => {
    await t.stop();
  });

  const api = () => request(t.app);
  const droppedList = async (query = ""): Promise<DroppedJson[]> =>
    (await api().get(`/api/v1/admin/deliveries/dropped${query}`).set(auth)).body as DroppedJson[];
  const idOf = async (deliveryId: string) => (await droppedList()).find((d) => d.delivery_id === deliveryId)!.id;
  const queuedIds = async () => {
    const out: string[] = [];
    for (const p of await t.services.store.federation.deliveries.pendingInboxes(Date.now(), 100)) {
      for (let i = 0; i < p.items; i++) out.push(p.inbox);
    }
    return out;
  };

  async function atoll(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const env = { DATA_DIR: t.dataDir, PUBLIC_URL, LOG_LEVEL: "error" };
    const code = await runCli(argv, { out: (s) => out.push(s), err: (s) => err.push(s), env });
    return { code, out: out.join(""), err: err.join("") };
  }

  it("needs the admin token", async () => {
    for (const path of ["/api/v1/admin/deliveries", "/api/v1/admin/deliveries/dropped"]) {
      const res = await api().get(path);
      expect(res.status).toBe(401);
      expect(res.headers["content-type"]).toMatch(/^application\/json; charset=utf-8/);
    }
    expect((await api().post("/api/v1/admin/deliveries/dropped/retry").send({ all: true })).status).toBe(401);
  });

  it("lists the backlog per destination inbox", async () => {
    const res = await api().get("/api/v1/admin/deliveries").set(auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      {
        domain: "wait.example",
        inbox: "https://wait.example/inbox",
        items: 3,
        oldest_created_at: expect.any(String),
        oldest_age_seconds: expect.any(Number),
        head_attempts: 1,
        last_error: "HTTP 503",
        next_attempt_at: expect.any(String),
        failing_since: expect.any(String),
        held: false,
        in_flight: false,
      },
    ]);
    expect((await api().get("/api/v1/admin/deliveries?domain=ok.example").set(auth)).body).toEqual([]);
    const bad = await api().get("/api/v1/admin/deliveries?limit=0").set(auth);
    expect(bad.status).toBe(400);
    expect(bad.headers["content-type"]).toMatch(/^application\/json; charset=utf-8/);
  });

  it("lists dropped deliveries newest first, by domain, a page at a time", async () => {
    const all = await droppedList();
    expect(all.map((d) => d.delivery_id)).toEqual(["far1", "bad1", "ok4", "ok3", "ok2", "ok1"]);
    expect(all[0]).toMatchObject({ domain: "far.example", last_error: "HTTP 405", replayable: true });
    const first = await api().get("/api/v1/admin/deliveries/dropped?domain=ok.example&limit=3").set(auth);
    expect(first.body.map((d: DroppedJson) => d.delivery_id)).toEqual(["ok4", "ok3", "ok2"]);
    const next = /<([^>]+)>; rel="next"/.exec(String(first.headers["link"]))?.[1];
    expect(next).toContain("max_id=");
    const second = await api()
      .get(new URL(next!).pathname + new URL(next!).search)
      .set(auth);
    expect(second.body.map((d: DroppedJson) => d.delivery_id)).toEqual(["ok1"]);
    expect(second.headers["link"]).toBeUndefined();
    expect((await api().get("/api/v1/admin/deliveries/dropped?max_id=abc").set(auth)).status).toBe(400);
  });

  it("replays one dropped delivery at the tail of its inbox, and refuses one for a suspended domain", async () => {
    const id = await idOf("far1");
    const res = await api().post(`/api/v1/admin/deliveries/dropped/${id}/retry`).set(auth);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id, delivery_id: "far1", inbox: "https://far.example/inbox" });
    expect(await queuedIds()).toContain("https://far.example/inbox");
    expect((await droppedList()).map((d) => d.delivery_id)).not.toContain("far1");
    // it is no longer dropped
    const again = await api().post(`/api/v1/admin/deliveries/dropped/${id}/retry`).set(auth);
    expect(again.status).toBe(404);
    expect(again.headers["content-type"]).toMatch(/^application\/json; charset=utf-8/);
    expect((await api().post("/api/v1/admin/deliveries/dropped/x1/retry").set(auth)).status).toBe(404);

    const refused = await api()
      .post(`/api/v1/admin/deliveries/dropped/${await idOf("bad1")}/retry`)
      .set(auth);
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/bad\.example is suspended/);
    expect((await droppedList()).map((d) => d.delivery_id)).toContain("bad1");
    const whole = await api().post("/api/v1/admin/deliveries/dropped/retry").set(auth).send({ domain: "bad.example" });
    expect(whole.status).toBe(409);
    for (const body of [{}, { domain: 5 }, { domain: "ok.example", all: true }, { all: false }, { every: true }]) {
      const bad = await api().post("/api/v1/admin/deliveries/dropped/retry").set(auth).send(body);
      expect(bad.status).toBe(400);
    }
  });

  it("replays a domain's dropped deliveries from the admin page, with its form token", async () => {
    const { agent } = await signIn(t.app, "boss", PASSWORD);
    const page = await agent.get("/admin/deliveries");
    expect(page.status).toBe(200);
    expect(page.text).toContain("https://wait.example/inbox");
    expect(page.text).toContain("HTTP 503");
    expect(page.text).toContain("Send again everything dropped for ok.example");
    expect(page.text).toContain(`action="/admin/deliveries/dropped/${await idOf("ok1")}/retry"`);
    const csrf = csrfOf(page.text);

    const forged = await agent.post("/admin/deliveries/dropped/retry").type("form").send({ domain: "ok.example" });
    expect(forged.status).toBe(403);
    const refused = await agent
      .post(`/admin/deliveries/dropped/${await idOf("bad1")}/retry`)
      .type("form")
      .send({ csrf, back: "/admin/deliveries" });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain("bad.example is suspended");

    const done = await agent
      .post("/admin/deliveries/dropped/retry")
      .type("form")
      .send({ csrf, back: "/admin/deliveries", domain: "ok.example" });
    expect(done.status).toBe(303);
    expect(done.headers["location"]).toBe("/admin/deliveries?ok=deliveries_replayed");
    expect((await droppedList("?domain=ok.example")).length).toBe(0);
    // the inbox gets them in the order they were dropped, behind nothing else
    const inboxA = (await t.services.store.federation.deliveries.pendingInboxes(Date.now(), 10, "ok.example"))[0];
    expect(inboxA).toMatchObject({ inbox: "https://ok.example/a", items: 3 });
    const heads = await t.services.store.federation.deliveries.claim(Date.now(), 10, 1, 10);
    expect(heads.find((d) => d.inbox === "https://ok.example/a")?.id).toBe("ok1");

    // moderators who are not admins see nothing of it
    const { agent: modAgent } = await signIn(t.app, "mod", PASSWORD);
    expect((await modAgent.get("/admin/deliveries")).status).toBe(403);
  });

  it("lists and replays from the command line, refusing a suspended domain", async () => {
    await t.services.store.federation.deliveries.enqueue([item("cli1", "https://cli.example/inbox")]);
    await t.services.store.federation.deliveries.claim(Date.now(), 10, 60_000, 10);
    await t.services.store.federation.deliveries.drop("cli1", "HTTP 422: bad", Date.now());

    const listed = await atoll("delivery", "list", "--dropped");
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/^ID +DROPPED +DOMAIN +INBOX +TRIES +ERROR/);
    expect(listed.out).toContain("https://cli.example/inbox");
    const json = JSON.parse((await atoll("delivery", "list", "--dropped", "--domain", "cli.example", "--json")).out);
    expect(json.map((d: DroppedJson) => d.delivery_id)).toEqual(["cli1"]);
    const pending = await atoll("delivery", "list");
    expect(pending.out).toContain("wait.example");

    const one = await atoll("delivery", "retry", json[0].id);
    expect(one.code).toBe(0);
    expect(one.out).toContain("Queued again");
    expect(await queuedIds()).toContain("https://cli.example/inbox");

    const refused = await atoll("delivery", "retry", "--domain", "bad.example");
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/bad\.example is suspended/);
    const all = await atoll("delivery", "retry", "--all");
    expect(all.code).toBe(0);
    expect(all.out).toMatch(/Queued 0 dropped deliveries again\. 1 stay dropped/);
    expect((await atoll("delivery", "retry")).code).toBe(2);
    expect((await atoll("delivery", "retry", "1", "--all")).code).toBe(2);
    expect((await atoll("delivery", "retry", "999999")).code).toBe(1);
  });
});
