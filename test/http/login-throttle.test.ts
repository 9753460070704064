import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { csrfOf } from "../support/admin-session.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

const PASSWORD = "correct horse battery";

/** A browser at `ip` (through the trusted proxy) with the login form's token. */
async function browserAt(instance: TestInstance, ip: string, cookie?: string) {
  const agent = request.agent(instance.app);
  if (cookie) agent.set("Cookie", cookie);
  const csrf = csrfOf((await agent.get("/admin").set("X-Forwarded-For", ip)).text);
  const attempt = (username: string, password: string) =>
    agent.post("/admin/login").set("X-Forwarded-For", ip).type("form").send({ csrf, username, password });
  return { agent, attempt };
}

describe("sign-in lockout per address, per /64 and per account", () => {
  let instance: TestInstance;

  beforeEach(async () => {
    instance = await startTestInstance({ TRUST_PROXY: "on" });
    await instance.services.staff.createUser("boss", PASSWORD, "admin", []);
  });

  afterEach(async () => {
    await instance.stop();
  });

  it("throttles guesses from many addresses of one IPv6 /64 across accounts", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const { attempt } = await browserAt(instance, `2001:db8:1:2::${(i + 1).toString(16)}`);
      statuses.push((await attempt(`user${i % 4}`, `guess ${i}`)).status);
    }
    expect(statuses.slice(0, 30).every((s) => s === 403)).toBe(true);
    expect(statuses.slice(30).every((s) => s === 429)).toBe(true);
    // Another network is not held back.
    const { attempt } = await browserAt(instance, "2001:db8:1:3::1");
    expect((await attempt("boss", PASSWORD)).status).toBe(303);
  });

  it("locks one account against guesses from everywhere, but not its owner's known browser", async () => {
    // The owner signs in once from home: the browser is known from then on.
    const owner = await browserAt(instance, "192.0.2.10");
    const first = await owner.attempt("boss", PASSWORD);
    expect(first.status).toBe(303);
    expect(String(first.headers["set-cookie"])).toMatch(
      /atoll_device=[^;]+; Max-Age=15552000; Path=\/admin; .*HttpOnly/,
    );

    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) {
      const { attempt } = await browserAt(instance, `198.51.${Math.floor(i / 200)}.${(i % 200) + 1}`);
      statuses.push((await attempt("boss", `guess ${i}`)).status);
    }
    // The owner's first sign-in was attempt 1 of the account's 50.
    expect(statuses.filter((s) => s === 403)).toHaveLength(49);
    expect(statuses.slice(49).every((s) => s === 429)).toBe(true);
    // Even the right password from a new browser waits: the account is locked for strangers.
    const stranger = await browserAt(instance, "203.0.113.7");
    const locked = await stranger.attempt("boss", PASSWORD);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers["retry-after"])).toBeGreaterThan(0);
    // The owner's browser (its session over, its device cookie kept) still signs in, from elsewhere too.
    const device = String(first.headers["set-cookie"]).match(/atoll_device=[^;]+/)?.[0];
    const returning = await browserAt(instance, "203.0.113.7", device);
    const back = await returning.attempt("boss", PASSWORD);
    expect(back.status).toBe(303);
    expect(back.headers["location"]).toBe("/admin");
  });
});
