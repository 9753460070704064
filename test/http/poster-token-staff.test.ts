import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestInstance, type TestInstance } from "../support/instance.js";

/*
 * Who may act on poster tokens, on one instance: a board's staff on their boards only, with
 * clear refusals; hidden posts leave the board's readers but not another board's, and lifting
 * brings them back.
 */

describe("poster tokens and staff permissions", () => {
  let t: TestInstance;
  let token: string;
  let thread: number;

  beforeAll(async () => {
    t = await startTestInstance();
    for (const uri of ["b", "g"]) {
      await t.services.boards.create({ uri, title: uri, settings: { requireImageForThread: false } });
    }
    const op = await t.services.posting.createThread({ board: "b", comment: "a poster", ip: "192.0.2.1" });
    thread = op.no;
    token = op.posterToken ?? "";
    expect(token).not.toBe("");
    await t.services.staff.createUser("gvol", "a-long-password-1", "board_volunteer", ["g"]);
    await t.services.staff.createUser("bvol", "a-long-password-1", "board_volunteer", ["b"]);
  });

  afterAll(async () => {
    await t?.stop();
  });

  const actor = async (name: string) => {
    const user = await t.services.store.users.get(name);
    if (!user) throw new Error(`no user ${name}`);
    return user;
  };

  it("refuses another board's staff, a missing board and a token the board has never seen", async () => {
    const gvol = await actor("gvol");
    await expect(t.services.posterTokens.hide(gvol, "b", token)).rejects.toMatchObject({ kind: "forbidden" });
    await expect(t.services.posterTokens.banPoster(gvol, "b", token, { reason: "x" })).rejects.toMatchObject({
      kind: "forbidden",
    });
    await expect(t.services.posterTokens.hide(gvol, "nope", token)).rejects.toMatchObject({ kind: "not_found" });
    // The same poster's token is /b/'s: on /g/ it names nobody.
    await expect(t.services.posterTokens.hide(gvol, "g", token)).rejects.toMatchObject({ kind: "not_found" });
    await expect(t.services.posterTokens.banPoster(gvol, "g", token, { reason: "x" })).rejects.toMatchObject({
      kind: "not_found",
    });
    expect(await t.services.store.hiddenTokens.list(null)).toEqual([]);
    expect(await t.services.store.bans.list()).toEqual([]);
  });

  it("a board's own staff hide the poster there, see the hiding listed, and lift it", async () => {
    const bvol = await actor("bvol");
    const gvol = await actor("gvol");
    const api = request(t.app);
    expect((await api.get(`/b/thread/${thread}.json`)).status).toBe(200);
    await t.services.posterTokens.hide(bvol, "b", token, "flooding");
    expect((await api.get(`/b/thread/${thread}.json`)).status).toBe(404);
    expect((await t.services.posterTokens.list(bvol, null)).map((h) => h.token)).toEqual([token]);
    expect(await t.services.posterTokens.list(gvol, null)).toEqual([]);
    await expect(t.services.posterTokens.list(gvol, "b")).rejects.toMatchObject({ kind: "forbidden" });
    await expect(t.services.posterTokens.unhide(gvol, "b", token)).rejects.toMatchObject({ kind: "forbidden" });
    await t.services.posterTokens.unhide(bvol, "b", token);
    expect((await api.get(`/b/thread/${thread}.json`)).status).toBe(200);
    const log = await t.services.moderation.log("b", { limit: 10 });
    expect(log.map((e) => e.action)).toEqual(["unhide_poster", "hide_poster"]);
    expect(log.map((e) => e.by)).not.toContain("bvol");
  });
});
