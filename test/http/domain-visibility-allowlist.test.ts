import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestInstance, type TestInstance } from "../support/instance.js";
import {
  allow,
  BAD,
  FINE,
  type FourchanPost,
  type Pages,
  poster,
  setRules,
  threadNos,
} from "../support/visibility-boards.js";

/* What readers see in allowlist mode: remote posts only from the servers allowed, and their subdomains. */

describe("allowlist mode", () => {
  let t: TestInstance;
  let local: number;
  let allowed: number;
  let other: number;
  let allowedSub: number;

  beforeAll(async () => {
    t = await startTestInstance({ FEDERATION_MODE: "allowlist" });
    await t.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
    const p = poster(t, () => {});
    local = await p.local("b", null, "LOCAL-OP");
    allowed = await p.remote("b", null, FINE, "ALLOWED-OP");
    allowedSub = await p.remote("b", null, `social.${FINE}`, "ALLOWED-SUB-OP");
    other = await p.remote("b", null, BAD, "OTHER-OP");
    await p.remote("b", local, BAD, "OTHER-REPLY");
    await p.remote("b", local, FINE, "ALLOWED-REPLY");
  });

  afterAll(async () => {
    await t?.stop();
  });

  it("hides every remote post while no server is allowed", async () => {
    setRules(t);
    const index = await get("/b/");
    expect(index.text).toContain("LOCAL-OP");
    for (const text of ["ALLOWED-OP", "OTHER-OP", "OTHER-REPLY", "ALLOWED-REPLY"])
      expect(index.text).not.toContain(text);
    expect((await get(`/b/thread/${allowed}`)).status).toBe(404);
  });

  it("shows allowed servers' posts (and their subdomains') and hides the others'", async () => {
    setRules(t, { allows: [allow(FINE)] });
    const index = await get("/b/");
    for (const text of ["LOCAL-OP", "ALLOWED-OP", "ALLOWED-SUB-OP", "ALLOWED-REPLY"])
      expect(index.text).toContain(text);
    expect(index.text).not.toContain("OTHER-OP");
    expect(index.text).not.toContain("OTHER-REPLY");
    expect((await get("/b/?show_limited=1")).text).not.toContain("OTHER-OP");
    expect((await get(`/b/thread/${other}`)).status).toBe(404);
    expect((await get(`/b/thread/${other}.json`)).status).toBe(404);
    expect((await get(`/b/thread/${allowed}`)).status).toBe(200);
    const threads = threadNos((await get("/b/threads.json")).body as Pages);
    expect(threads).toEqual(expect.arrayContaining([local, allowed, allowedSub]));
    expect(threads).not.toContain(other);
    const thread = (await get(`/b/thread/${local}.json`)).body as { posts: FourchanPost[] };
    expect(thread.posts).toHaveLength(2);
  });

  function get(path: string) {
    return request(t.app).get(path);
  }
});
