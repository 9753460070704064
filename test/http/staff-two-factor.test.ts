import { Secret, TOTP } from "otpauth";
import type TestAgent from "supertest/lib/agent.js";
import { afterEach, describe, expect, it } from "vitest";
import { csrfOf, signIn } from "../support/admin-session.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

/* Two-factor sign-in for staff: enrolment, the code step, recovery codes, turning it off, REQUIRE_ADMIN_2FA. */

const PASSWORD = "correct horse battery";
const TOKEN = "a-test-admin-token-of-enough-length";

describe("staff two-factor sign-in", () => {
  let instance: TestInstance;
  let now = Date.UTC(2030, 0, 1, 12, 0, 0);

  afterEach(async () => {
    await instance?.stop();
  });

  const start = async (env: Record<string, string> = {}) => {
    now = Date.UTC(2030, 0, 1, 12, 0, 0);
    instance = await startTestInstance({ ADMIN_TOKEN: TOKEN, ...env }, { clock: () => now });
    await instance.services.staff.createUser("root", PASSWORD, "admin", []);
  };

  /** The code an app holding `secret` shows at the instance's time. */
  const codeFor = (secret: string) => new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: now });

  /** Signs in with the password, then sets two-factor up on the account page; returns the agent, secret and codes. */
  const enrol = async (agent: TestAgent) => {
    const before = await agent.get("/admin/account");
    expect(before.text).toContain("Two-factor sign-in is <strong>off</strong>");
    const started = await agent
      .post("/admin/account/2fa/start")
      .type("form")
      .send({ csrf: csrfOf(before.text) });
    expect(started.status).toBe(303);
    const page = await agent.get("/admin/account");
    const secret = /<code class="totp-secret">([A-Z2-7 ]+)<\/code>/.exec(page.text)?.[1]?.replace(/ /g, "") ?? "";
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(page.text).toContain(`otpauth://totp/`);
    expect(page.text).toContain(`secret=${secret}`);
    const csrf = csrfOf(page.text);
    const wrongCode = String((Number(codeFor(secret)) + 1) % 1_000_000).padStart(6, "0");
    const wrong = await agent.post("/admin/account/2fa/confirm").type("form").send({ csrf, code: wrongCode });
    expect(wrong.status).toBe(400);
    expect((await instance.services.staff.getUser("root"))?.totp?.enabledAt).toBeNull();
    const ok = await agent
      .post("/admin/account/2fa/confirm")
      .type("form")
      .send({ csrf, code: codeFor(secret) });
    expect(ok.status).toBe(200);
    const codes = [...ok.text.matchAll(/<li><code>([A-Z2-7-]+)<\/code><\/li>/g)].map((m) => m[1] as string);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    // From now on the secret is never shown, nor the recovery codes.
    const after = await agent.get("/admin/account");
    expect(after.text).toContain("Two-factor sign-in is <strong>on</strong>");
    expect(after.text).not.toContain(secret);
    expect(after.text).not.toContain(codes[0]);
    return { secret, codes };
  };

  /** The password step; the answer sends the browser to the code step. */
  const passwordStep = async () => {
    const { agent, res } = await signIn(instance.app, "root", PASSWORD);
    return { agent, res };
  };

  const codeStep = async (agent: TestAgent, code: string) => {
    const form = await agent.get("/admin/login/code");
    expect(form.status).toBe(200);
    return agent
      .post("/admin/login/code")
      .type("form")
      .send({ csrf: csrfOf(form.text), code });
  };

  it("enrols with a confirmed code, then asks for a code after the password, each code once", async () => {
    await start();
    const first = await passwordStep();
    expect(first.res.headers["location"]).toBe("/admin");
    const { secret } = await enrol(first.agent);
    // The stored secret is sealed, not the base32 shown.
    expect(JSON.stringify(await instance.services.staff.getUser("root"))).not.toContain(secret);

    now += 30_000;
    const { agent, res } = await passwordStep();
    expect(res.status).toBe(303);
    expect(res.headers["location"]).toBe("/admin/login/code");
    expect(String(res.headers["set-cookie"])).not.toContain("atoll_session=");
    // No session yet: the staff pages still ask to sign in.
    expect((await agent.get("/admin/users")).headers["location"]).toBe("/admin");

    const wrong = await codeStep(agent, "000000" === codeFor(secret) ? "000001" : "000000");
    expect(wrong.status).toBe(403);
    expect(wrong.text).toContain("Wrong code.");
    const code = codeFor(secret);
    const right = await codeStep(agent, code);
    expect(right.status).toBe(303);
    expect(String(right.headers["set-cookie"])).toContain("atoll_session=");
    expect((await agent.get("/admin/users")).status).toBe(200);

    // The same code does not sign in twice.
    const again = await passwordStep();
    expect((await codeStep(again.agent, code)).status).toBe(403);
    // A code without the password step is no sign-in at all.
    const bare = await signIn(instance.app, "root", "not the password");
    expect(bare.res.status).toBe(403);
    expect(
      (
        await bare.agent
          .post("/admin/login/code")
          .type("form")
          .send({ code: codeFor(secret) })
      ).status,
    ).toBe(403);
  });

  it("counts code attempts in the sign-in throttle", async () => {
    await start();
    const { secret } = await enrol((await passwordStep()).agent);
    const { agent } = await passwordStep();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push((await codeStep(agent, "999999" === codeFor(secret) ? "999998" : "999999")).status);
    expect(statuses.slice(0, 8).every((s) => s === 403)).toBe(true);
    expect(statuses).toContain(429);
    // Throttled, even the right code is refused.
    now += 30_000;
    expect((await codeStep(agent, codeFor(secret))).status).toBe(429);
  });

  it("takes each recovery code once, and turns off only with a valid code", async () => {
    await start();
    const { secret, codes } = await enrol((await passwordStep()).agent);
    const recovery = codes[3] as string;

    const one = await passwordStep();
    expect((await codeStep(one.agent, recovery.toLowerCase())).status).toBe(303);
    const two = await passwordStep();
    expect((await codeStep(two.agent, recovery)).status).toBe(403);
    expect((await instance.services.staff.getUser("root"))?.totp?.recoveryHashes).toHaveLength(9);

    const page = await one.agent.get("/admin/account");
    expect(page.text).toContain("9 recovery codes left");
    const csrf = csrfOf(page.text);
    const refused = await one.agent.post("/admin/account/2fa/disable").type("form").send({ csrf, code: "12345" });
    expect(refused.status).toBe(400);
    expect((await one.agent.get("/admin/account")).text).toContain("Two-factor sign-in is <strong>on</strong>");
    now += 30_000;
    const off = await one.agent
      .post("/admin/account/2fa/disable")
      .type("form")
      .send({ csrf, code: codeFor(secret) });
    expect(off.status).toBe(303);
    expect((await instance.services.staff.getUser("root"))?.totp).toBeUndefined();
    // The password alone signs in again.
    expect((await passwordStep()).res.headers["location"]).toBe("/admin");
  });

  it("with REQUIRE_ADMIN_2FA, holds an admin on the enrolment page until enrolled; tokens unaffected", async () => {
    await start({ REQUIRE_ADMIN_2FA: "true" });
    await instance.services.boards.create({ uri: "b", title: "b", settings: { requireImageForThread: false } });
    await instance.services.staff.createUser("owner", PASSWORD, "board_owner", ["b"]);
    const { agent } = await passwordStep();
    const home = await agent.get("/admin");
    expect(home.status).toBe(303);
    expect(home.headers["location"]).toBe("/admin/account#two-factor");
    expect((await agent.get("/admin/users")).headers["location"]).toBe("/admin/account#two-factor");
    const account = await agent.get("/admin/account");
    expect(account.status).toBe(200);
    expect(account.text).toContain("requires admins to sign in with a second factor");
    const create = await agent
      .post("/admin/users")
      .type("form")
      .send({ csrf: csrfOf(account.text), username: "someone", password: PASSWORD, role: "global_mod" });
    expect(create.status).toBe(403);
    expect(await instance.services.staff.getUser("someone")).toBeNull();
    // The board pages show such an admin no staff controls either.
    const op = await instance.services.posting.createThread({ board: "b", comment: "op", ip: "203.0.113.9" });
    expect((await agent.get(`/b/thread/${op.no}`)).text).not.toContain("staff-controls");
    // Admin API tokens are not sessions: REQUIRE_ADMIN_2FA does not touch them.
    const api = await agent.get("/api/v1/admin/staff").set("Authorization", `Bearer ${TOKEN}`);
    expect(api.status).toBe(200);
    // Other roles are not held back.
    const owner = await signIn(instance.app, "owner", PASSWORD);
    expect((await owner.agent.get("/admin/boards")).status).toBe(200);

    await enrol(agent);
    expect((await agent.get("/admin/users")).status).toBe(200);
    expect((await agent.get(`/b/thread/${op.no}`)).text).toContain("staff-controls");
  });
});
