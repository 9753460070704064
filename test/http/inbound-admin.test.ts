import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../server/cli/main.js";
import { csrfOf, signIn } from "../support/admin-session.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

const PUBLIC_URL = "http://atoll.test";
const TOKEN = "inbound-admin-token-0123456789";
const PASSWORD = "correct horse battery";
const auth = { authorization: `Bearer ${TOKEN}` };
const DAY = 24 * 60 * 60 * 1000;

interface InboundJson {
  id: string;
  type: string;
  domain: string;
  attempts: number;
  last_error: string;
  next_attempt_at: string | null;
  failed_at: string | null;
}

const activity = (n: string) => `https://peer.example/activities/${n}`;

describe("received activities not yet taken: admin API, admin page and command line", () => {
  let t: TestInstance;

  /** Keeps `n` as the inbox would, and gives up on it when `failed`. */
  async function keep(n: string, failed: boolean) {
    const queue = t.services.store.federation.inboundRetries;
    const now = Date.now() - 8 * DAY;
    const body = JSON.stringify({ id: activity(n), type: "Create", actor: "https://peer.example/u/alice" });
    await queue.add(
      { id: activity(n), board: null, signer: "https://peer.example/u/alice", body, lastError: "HTTP 503 from origin" },
      now,
      now + 10_000,
    );
    if (failed) await queue.giveUp(activity(n), "HTTP 503 from origin", Date.now());
  }

  const list = async (failed: boolean): Promise<InboundJson[]> => {
    const res = await request(t.app).get(`/api/v1/admin/deliveries/inbound?failed=${failed}`).set(auth);
    expect(res.status).toBe(200);
    return res.body as InboundJson[];
  };
  const ids = (items: InboundJson[]) => items.map((i) => i.id).sort();

  async function atoll(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const env = { DATA_DIR: t.dataDir, PUBLIC_URL, LOG_LEVEL: "error" };
    const code = await runCli(argv, { out: (s) => out.push(s), err: (s) => err.push(s), env });
    return { code, out: out.join(""), err: err.join("") };
  }

  beforeAll(async () => {
    // A web-only process: nothing retries what is kept, so the queue stays as the test leaves it.
    t = await startTestInstance({ PUBLIC_URL, ADMIN_TOKEN: TOKEN, ATOLL_ROLE: "web" });
    await t.services.staff.createUser("boss", PASSWORD, "admin", []);
  });

  afterAll(async () => {
    await t.stop();
  });

  it("lists what is still tried and what was given up on, behind the admin token", async () => {
    await keep("p1", false);
    await keep("f1", true);
    await keep("f2", true);
    expect((await request(t.app).get("/api/v1/admin/deliveries/inbound")).status).toBe(401);

    const pending = await list(false);
    expect(ids(pending)).toEqual([activity("p1")]);
    expect(pending[0]).toMatchObject({ type: "Create", domain: "peer.example", failed_at: null, attempts: 1 });
    expect(pending[0]?.next_attempt_at).toMatch(/^\d{4}-/);
    const failed = await list(true);
    expect(ids(failed)).toEqual([activity("f1"), activity("f2")]);
    expect(failed[0]).toMatchObject({ next_attempt_at: null, last_error: "HTTP 503 from origin" });

    const bad = await request(t.app).get("/api/v1/admin/deliveries/inbound?failed=maybe").set(auth);
    expect(bad.status).toBe(400);
    expect(bad.headers["content-type"]).toMatch(/^application\/json; charset=utf-8/);
  });

  it("tries one given up on again, with a fresh horizon, and all of them", async () => {
    const one = await request(t.app)
      .post("/api/v1/admin/deliveries/inbound/retry")
      .set(auth)
      .send({ id: activity("f1") });
    expect(one.status).toBe(202);
    expect(one.body).toEqual({ queued: 1 });
    const pending = await list(false);
    expect(ids(pending)).toEqual([activity("f1"), activity("p1")]);
    expect(pending.find((i) => i.id === activity("f1"))).toMatchObject({ attempts: 0, failed_at: null });

    const unknown = await request(t.app)
      .post("/api/v1/admin/deliveries/inbound/retry")
      .set(auth)
      .send({ id: activity("p1") });
    expect(unknown.status).toBe(404);
    const neither = await request(t.app).post("/api/v1/admin/deliveries/inbound/retry").set(auth).send({});
    expect(neither.status).toBe(400);

    const all = await request(t.app).post("/api/v1/admin/deliveries/inbound/retry").set(auth).send({ all: true });
    expect(all.body).toEqual({ queued: 1 });
    expect(await list(true)).toEqual([]);
    expect(ids(await list(false))).toEqual([activity("f1"), activity("f2"), activity("p1")]);
  });

  it("shows both lists on the deliveries page and tries again from its form", async () => {
    await keep("page1", true);
    const { agent } = await signIn(t.app, "boss", PASSWORD);
    const page = await agent.get("/admin/deliveries");
    expect(page.status).toBe(200);
    expect(page.text).toContain("Received, not yet taken");
    expect(page.text).toContain(activity("p1"));
    expect(page.text).toContain(`value="${activity("page1")}"`);

    const forged = await agent
      .post("/admin/deliveries/inbound/retry")
      .type("form")
      .send({ id: activity("page1") });
    expect(forged.status).toBe(403);
    const done = await agent
      .post("/admin/deliveries/inbound/retry")
      .type("form")
      .send({ csrf: csrfOf(page.text), back: "/admin/deliveries", id: activity("page1") });
    expect(done.status).toBe(303);
    expect(done.headers["location"]).toBe("/admin/deliveries?ok=inbound_replayed");
    expect(await list(true)).toEqual([]);
  });

  it("lists and tries again from the command line", async () => {
    await keep("cli1", true);
    await keep("cli2", true);
    const pending = await atoll("delivery", "list", "--inbound");
    expect(pending.code).toBe(0);
    expect(pending.out).toMatch(/^ACTIVITY +FROM +AGE +TRIES +NEXT +ERROR/);
    expect(pending.out).toContain(activity("p1"));
    const failed = JSON.parse((await atoll("delivery", "list", "--inbound", "--dropped", "--json")).out);
    expect(failed.map((i: InboundJson) => i.id).sort()).toEqual([activity("cli1"), activity("cli2")]);

    const one = await atoll("delivery", "retry", "--inbound", activity("cli1"));
    expect(one.code).toBe(0);
    expect(ids(await list(true))).toEqual([activity("cli2")]);
    const all = await atoll("delivery", "retry", "--inbound", "--all");
    expect(all.out).toContain("1 received activity given up on will be tried again");
    expect(await list(true)).toEqual([]);
    expect((await atoll("delivery", "retry", "--inbound", activity("nothing"))).code).toBe(1);
    expect((await atoll("delivery", "retry", "--inbound", "--domain", "peer.example")).code).toBe(2);
  });
});
