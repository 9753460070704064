import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.js";
import { DAY_MS } from "../../server/domain/defederation/probation.js";
import { csrfOf, signIn } from "../support/admin-session.js";
import { auth, TOKEN } from "../support/domain-admin.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

/*
 * Probation of new peers as staff handle it, on one instance whose clock the test moves: a host
 * first seen starts on probation, the period ends by the clock (recorded once, dated when it ended),
 * admins vouch or put a host back (API and pages), and PEER_PROBATION_DAYS=0 or allowlist mode
 * turn it off.
 */

const START = Date.UTC(2026, 0, 5, 12, 0, 0);
const PASSWORD = "correct horse battery staple";

describe("peer probation, staff side", () => {
  let t: TestInstance;
  let now = START;
  const start = async (env: Record<string, string> = {}) => {
    now = START;
    t = await startTestInstance({ ADMIN_TOKEN: TOKEN, PEER_PROBATION_DAYS: "7", ...env }, { clock: () => now });
    return t;
  };
  const api = () => request(t.app);
  const audit = async (domain: string) =>
    (
      (await api().get(`/api/v1/admin/domain_audit?domain=${domain}`).set(auth)).body as Array<{
        action: string;
        at: string;
        actor: { kind: string };
      }>
    ).map((e) => [e.action, e.actor.kind, e.at]);

  afterEach(async () => {
    await t?.stop();
  });

  it("reads PEER_PROBATION_DAYS: 7 by default, 0 to turn it off, nothing negative", () => {
    expect(loadConfig({}).peerProbationDays).toBe(7);
    expect(loadConfig({ PEER_PROBATION_DAYS: "0" }).peerProbationDays).toBe(0);
    expect(loadConfig({ PEER_PROBATION_DAYS: "1.5" }).peerProbationDays).toBe(1.5);
    expect(() => loadConfig({ PEER_PROBATION_DAYS: "-1" })).toThrow(/PEER_PROBATION_DAYS/);
  });

  it("starts a new host on probation and ends it by the clock, recorded once", async () => {
    await start();
    expect(await t.services.probation.onProbation("Fresh.Example")).toBe(true);
    // Seen again: still the first sighting.
    now += DAY_MS;
    await t.services.probation.observe("fresh.example");
    const listed = await api().get("/api/v1/admin/domain_probation").set(auth);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([
      {
        domain: "fresh.example",
        on_probation: true,
        first_seen_at: new Date(START).toISOString(),
        since: new Date(START).toISOString(),
        until: new Date(START + 7 * DAY_MS).toISOString(),
        ended_by: null,
      },
    ]);

    now = START + 7 * DAY_MS - 1;
    expect(await t.services.probation.onProbation("fresh.example")).toBe(true);
    now = START + 9 * DAY_MS;
    expect(await t.services.probation.onProbation("fresh.example")).toBe(false);
    expect((await api().get("/api/v1/admin/domain_probation").set(auth)).body).toEqual([]);
    const one = await api().get("/api/v1/admin/domain_probation/fresh.example").set(auth);
    expect(one.body).toMatchObject({ on_probation: false, ended_by: "expiry" });
    expect(await audit("fresh.example")).toEqual([
      ["probation.end", "system", new Date(START + 7 * DAY_MS).toISOString()],
      ["probation.start", "system", new Date(START).toISOString()],
    ]);
  });

  it("vouches for and puts back hosts through the API, refusing what is not a domain", async () => {
    await start();
    await t.services.probation.observe("new.example");
    const vouched = await api()
      .post("/api/v1/admin/domain_probation/new.example/vouch")
      .set(auth)
      .send({ reason: "their admin wrote to us" });
    expect(vouched.status).toBe(200);
    expect(vouched.body).toMatchObject({ domain: "new.example", on_probation: false, ended_by: "vouch" });
    // Vouching again changes nothing.
    await api().post("/api/v1/admin/domain_probation/new.example/vouch").set(auth);

    // A host vouched for before it appears never starts on probation.
    await api().post("/api/v1/admin/domain_probation/expected.example/vouch").set(auth).expect(200);
    expect(await t.services.probation.onProbation("expected.example")).toBe(false);

    now += DAY_MS;
    const back = await api().post("/api/v1/admin/domain_probation/new.example/restart").set(auth);
    expect(back.body).toMatchObject({ on_probation: true, since: new Date(now).toISOString() });
    expect(await t.services.probation.onProbation("new.example")).toBe(true);
    expect((await audit("new.example")).map(([action, kind]) => [action, kind])).toEqual([
      ["probation.start", "token"],
      ["probation.vouch", "token"],
      ["probation.start", "system"],
    ]);

    const bad = await api().post("/api/v1/admin/domain_probation/not_a%20domain!/vouch").set(auth);
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toBe("Not a domain name.");
    const badReason = await api()
      .post("/api/v1/admin/domain_probation/new.example/vouch")
      .set(auth)
      .send({ reason: 5 });
    expect(badReason.status).toBe(400);
    expect((await api().post("/api/v1/admin/domain_probation/new.example/vouch")).status).toBe(401);
  });

  it("shows the hosts on probation on the domain pages, where an admin vouches for one", async () => {
    await start();
    await t.services.staff.createUser("boss", PASSWORD, "admin", []);
    await t.services.probation.observe("page.example");
    const { agent, res } = await signIn(t.app, "boss", PASSWORD);
    expect(res.status).toBe(303);
    const page = await agent.get("/admin/domains/probation");
    expect(page.status).toBe(200);
    expect(page.text).toContain("<code>page.example</code>");
    expect(page.text).toContain(new Date(START + 7 * DAY_MS).toISOString());
    expect((await agent.get("/admin/domains")).text).toContain('href="/admin/domains/probation"');

    const csrf = csrfOf(page.text);
    const done = await agent
      .post("/admin/domains/probation/page.example/vouch")
      .type("form")
      .send({ csrf, back: "/admin/domains/probation" });
    expect(done.status).toBe(303);
    expect(await t.services.probation.onProbation("page.example")).toBe(false);
    const again = await agent.get("/admin/domains/probation");
    expect(again.text).not.toContain("<code>page.example</code>");

    const put = await agent
      .post("/admin/domains/probation")
      .type("form")
      .send({ csrf, domain: "page.example", action: "restart", reason: "spam", back: "/admin/domains/probation" });
    expect(put.status).toBe(303);
    expect(await t.services.probation.onProbation("page.example")).toBe(true);
    const wrong = await agent
      .post("/admin/domains/probation")
      .type("form")
      .send({ csrf, domain: "page.example", action: "maybe", back: "/admin/domains/probation" });
    expect(wrong.status).toBe(400);
  });

  it("is off with PEER_PROBATION_DAYS=0: hosts are recorded as known, nothing is audited", async () => {
    await start({ PEER_PROBATION_DAYS: "0" });
    expect(await t.services.probation.onProbation("any.example")).toBe(false);
    await t.services.probation.observe("any.example");
    expect(await t.services.store.defederation.peers.get("any.example")).toMatchObject({ probationStart: null });
    expect((await api().get("/api/v1/admin/domain_probation").set(auth)).body).toEqual([]);
    expect(await audit("any.example")).toEqual([]);
    const put = await api().post("/api/v1/admin/domain_probation/any.example/restart").set(auth);
    expect(put.status).toBe(422);
  });

  it("is off in allowlist mode, where every allowed domain counts as vouched for", async () => {
    await start({ FEDERATION_MODE: "allowlist" });
    await t.services.probation.observe("allowed.example");
    expect(await t.services.probation.onProbation("allowed.example")).toBe(false);
    expect(await audit("allowed.example")).toEqual([]);
  });
});
