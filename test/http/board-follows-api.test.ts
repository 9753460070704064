import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isLoopbackHost, parseFollowTarget, webfingerSchemes } from "../../federation/admin/index.js";
import { runCli } from "../../server/cli/main.js";
import { isDomainError } from "../../server/domain/errors.js";
import { freePort } from "../support/fedify-peer.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

/*
 * The operator's side of board follows: the admin API and the command line, validation first, then
 * real follows of boards on a second instance (R, on 127.0.0.4) by the local instance (L, on
 * 127.0.0.5), both listening, so Follows and Accepts travel over HTTP.
 */

const TOKEN = "board-follows-token-0123456789ab";
const auth = { Authorization: `Bearer ${TOKEN}` };

async function listening(host: string, extra: Record<string, string> = {}): Promise<TestInstance> {
  const port = await freePort(host);
  return startTestInstance(
    {
      PORT: String(port),
      HOST: host,
      PUBLIC_URL: `http://${host}:${port}`,
      ALLOW_PRIVATE_ADDRESSES: "on",
      ADMIN_TOKEN: TOKEN,
      ...extra,
    },
    { listen: true },
  );
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("board follows: admin API and command line", () => {
  let R: TestInstance;
  let L: TestInstance;
  let off: TestInstance;
  let rHost: string;

  beforeAll(async () => {
    [R, L, off] = await Promise.all([
      listening("127.0.0.4"),
      listening("127.0.0.5"),
      startTestInstance({ FEDERATION: "off", ADMIN_TOKEN: TOKEN }),
    ]);
    rHost = new URL(R.url).host;
    for (const uri of ["r", "r2", "r3"]) await R.services.boards.create({ uri, title: uri.toUpperCase() });
    await L.services.boards.create({ uri: "l", title: "Local" });
    await off.services.boards.create({ uri: "l", title: "Local" });
  });

  afterAll(async () => {
    await Promise.all([R?.stop(), L?.stop(), off?.stop()]);
  });

  const api = () => request(L.app);

  /** `atoll …` in-process, on L's store, configured as L's server is. */
  async function atoll(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const env = {
      DATA_DIR: L.dataDir,
      PUBLIC_URL: L.services.config.publicUrl,
      ALLOW_PRIVATE_ADDRESSES: "on",
      LOG_LEVEL: "error",
    };
    const code = await runCli(argv, { out: (s) => out.push(s), err: (s) => err.push(s), env });
    return { code, out: out.join(""), err: err.join("") };
  }

  it("refuses every follows route without a valid bearer token", async () => {
    const path = "/api/v1/admin/boards/l/follows";
    const calls = [
      api().get(path),
      api()
        .post(path)
        .send({ target: `r@${rHost}` }),
      api().delete(`${path}?target=${encodeURIComponent(`r@${rHost}`)}`),
      api()
        .get(path)
        .set("Authorization", `Bearer ${"z".repeat(32)}`),
    ];
    for (const res of await Promise.all(calls)) {
      expect(res.status).toBe(401);
      expect(res.headers["content-type"]).toMatch(/^application\/json; charset=utf-8/);
    }
    expect(await L.services.store.federation.follows.followingOf("l")).toEqual([]);
    expect(await L.services.store.federation.deliveries.countPending()).toBe(0);
  });

  it("answers 400 for a target that is neither an actor URL nor a handle, or names this instance", async () => {
    const path = "/api/v1/admin/boards/l/follows";
    const bad: unknown[] = [
      {},
      { target: "" },
      { target: 42 },
      { target: "just-a-name" },
      { target: "two@at@signs" },
      { target: "user@host/with/path" },
      { target: "ftp://example.org/group" },
      { target: "http://" },
      { target: `l@${new URL(L.url).host}` },
      { target: `${L.url}/ap/boards/l` },
      { target: `r@${rHost}`, extra: true },
    ];
    for (const body of bad) {
      const res = await api()
        .post(path)
        .set(auth)
        .send(body as object);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toMatchObject({ status: 400 });
    }
    // Something that is not a Group (the instance's Application actor) is refused as well.
    const notGroup = await api()
      .post(path)
      .set(auth)
      .send({ target: `${R.url}/ap/actor` });
    expect(notGroup.status).toBe(400);
    expect(notGroup.body.detail).toMatch(/not a Group/);

    expect((await api().delete(path).set(auth)).status).toBe(400);
    expect(await L.services.store.federation.follows.followingOf("l")).toEqual([]);
  });

  it("answers 404 for an unknown board and 422 for a group that cannot be resolved", async () => {
    const target = { target: `r@${rHost}` };
    for (const board of ["nope", "NOT-VALID"]) {
      expect((await api().post(`/api/v1/admin/boards/${board}/follows`).set(auth).send(target)).status).toBe(404);
      expect((await api().get(`/api/v1/admin/boards/${board}/follows`).set(auth)).status).toBe(404);
      const del = await api().delete(`/api/v1/admin/boards/${board}/follows?target=r%40${rHost}`).set(auth);
      expect(del.status).toBe(404);
    }
    // Unfollowing something the board does not follow.
    const notFollowed = await api().delete(`/api/v1/admin/boards/l/follows?target=${R.url}/ap/boards/r`).set(auth);
    expect(notFollowed.status).toBe(404);

    const noAccount = await api()
      .post("/api/v1/admin/boards/l/follows")
      .set(auth)
      .send({ target: `nobody@${rHost}` });
    expect(noAccount.status).toBe(422);
    expect(noAccount.body.detail).toMatch(/knows no account/);
    const gone = await api()
      .post("/api/v1/admin/boards/l/follows")
      .set(auth)
      .send({ target: `${R.url}/ap/boards/nope` });
    expect(gone.status).toBe(422);
    const unreachable = await api()
      .post("/api/v1/admin/boards/l/follows")
      .set(auth)
      .send({ target: `r@127.0.0.6:${await freePort("127.0.0.6")}` });
    expect(unreachable.status).toBe(422);
    expect(await L.services.store.federation.follows.followingOf("l")).toEqual([]);
  });

  it("answers 409 when the instance does not federate", async () => {
    const res = await request(off.app).get("/api/v1/admin/boards/l/follows").set(auth);
    expect(res.status).toBe(409);
    expect(res.body.detail).toMatch(/FEDERATION=off/);
    const post = await request(off.app)
      .post("/api/v1/admin/boards/l/follows")
      .set(auth)
      .send({ target: `r@${rHost}` });
    expect(post.status).toBe(409);
  });

  it("follows by handle and by URL through the API, lists the follows with their state, and unfollows", async () => {
    const byHandle = await api()
      .post("/api/v1/admin/boards/l/follows")
      .set(auth)
      .send({ target: `@r@${rHost}` });
    expect(byHandle.status).toBe(202);
    expect(byHandle.body).toMatchObject({
      board: "l",
      target: `${R.url}/ap/boards/r`,
      handle: `r@${rHost}`,
      state: "pending",
    });
    expect(byHandle.body.id).toMatch(new RegExp(`^${L.url}/ap/boards/l/activities/follow/`));
    expect(byHandle.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT/);

    const byUrl = await api()
      .post("/api/v1/admin/boards/l/follows")
      .set(auth)
      .send({ target: `${R.url}/ap/boards/r3` });
    expect(byUrl.status).toBe(202);
    expect(byUrl.body).toMatchObject({ target: `${R.url}/ap/boards/r3`, handle: `r3@${rHost}` });

    const listed = await until("both follows to be accepted", async () => {
      const res = await api().get("/api/v1/admin/boards/l/follows").set(auth);
      expect(res.status).toBe(200);
      const list = res.body as Array<{ state: string }>;
      return list.length === 2 && list.every((f) => f.state === "accepted") ? res.body : undefined;
    });
    expect(listed.map((f: { handle: string }) => f.handle)).toEqual([`r@${rHost}`, `r3@${rHost}`]);

    // Following again is idempotent: the same follow, still accepted.
    const again = await api()
      .post("/api/v1/admin/boards/l/follows")
      .set(auth)
      .send({ target: `r@${rHost}` });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ id: byHandle.body.id, state: "accepted" });

    // Unfollow by handle: gone here at once, and R forgets the follower once the Undo arrives.
    const del = await api()
      .delete(`/api/v1/admin/boards/l/follows?target=${encodeURIComponent(`r3@${rHost}`)}`)
      .set(auth);
    expect(del.status).toBe(204);
    const after = await api().get("/api/v1/admin/boards/l/follows").set(auth);
    expect(after.body.map((f: { target: string }) => f.target)).toEqual([`${R.url}/ap/boards/r`]);
    await until("R to drop the follower", async () =>
      (await R.services.store.federation.follows.countFollowers("r3")) === 0 ? true : undefined,
    );
    expect(await R.services.store.federation.follows.countFollowers("r")).toBe(1);
  });

  it("does the same from the command line, which queues for the running server to deliver", async () => {
    expect((await atoll("board", "follow", "l")).code).toBe(2);
    expect((await atoll("board", "follows")).code).toBe(2);
    const unknown = await atoll("board", "follow", "nope", `r2@${rHost}`);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain("There is no board /nope/");
    const bad = await atoll("board", "follow", "l", "not a target");
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/neither an actor URL nor a handle/);

    const followed = await atoll("board", "follow", "l", `r2@${rHost}`, "--json");
    expect(followed.code).toBe(0);
    expect(JSON.parse(followed.out)).toMatchObject({ target: `${R.url}/ap/boards/r2`, state: "pending" });
    // Only queued by the command: L's own worker sends it, and R's Accept comes back to L.
    await until("the follow made from the command line to be accepted", async () => {
      const f = await L.services.store.federation.follows.get(`${L.url}/ap/boards/l`, `${R.url}/ap/boards/r2`);
      return f?.state === "accepted" ? true : undefined;
    });

    const table = await atoll("board", "follows", "l");
    expect(table.code).toBe(0);
    const lines = table.out.trim().split("\n");
    expect(lines[0]).toMatch(/^STATE\s+SINCE\s+HANDLE\s+TARGET$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[2])).toEqual([`r@${rHost}`, `r2@${rHost}`]);
    expect(lines.slice(1).every((l) => l.startsWith("accepted"))).toBe(true);

    const unfollowed = await atoll("board", "unfollow", "l", `${R.url}/ap/boards/r2`);
    expect(unfollowed.code).toBe(0);
    expect(unfollowed.out).toContain(`/l/ no longer follows r2@${rHost}`);
    await until("R to drop the follower", async () =>
      (await R.services.store.federation.follows.countFollowers("r2")) === 0 ? true : undefined,
    );
    const json = JSON.parse((await atoll("board", "follows", "l", "--json")).out) as Array<{ target: string }>;
    expect(json.map((f) => f.target)).toEqual([`${R.url}/ap/boards/r`]);
    const missing = await atoll("board", "unfollow", "l", `${R.url}/ap/boards/r2`);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("does not follow");
  });
});

describe("follow targets", () => {
  it("reads actor URLs and handles, and refuses anything else as invalid", () => {
    expect(parseFollowTarget(" https://lemmy.example/c/tea ")).toEqual({
      kind: "url",
      url: "https://lemmy.example/c/tea",
    });
    for (const raw of ["tea@lemmy.example", "@tea@lemmy.example", "acct:tea@Lemmy.Example", "tea@lemmy.example"]) {
      expect(parseFollowTarget(raw)).toEqual({ kind: "handle", user: "tea", host: "lemmy.example" });
    }
    expect(parseFollowTarget("b@127.0.0.1:8080")).toEqual({ kind: "handle", user: "b", host: "127.0.0.1:8080" });
    expect(parseFollowTarget("b@[::1]:8080")).toEqual({ kind: "handle", user: "b", host: "[::1]:8080" });
    for (const raw of [undefined, null, 7, "", " ", "tea", "@lemmy.example", "tea@", "a b@host", "tea@host:99999"]) {
      let error: unknown;
      try {
        parseFollowTarget(raw);
      } catch (e) {
        error = e;
      }
      expect(isDomainError(error) && error.kind === "invalid", String(raw)).toBe(true);
    }
  });

  it("tries WebFinger over https only, unless private addresses are allowed", () => {
    expect(webfingerSchemes("127.0.0.1:8080", false)).toEqual(["https"]);
    expect(webfingerSchemes("lemmy.example", false)).toEqual(["https"]);
    expect(webfingerSchemes("127.0.0.3:8080", true)).toEqual(["http"]);
    expect(webfingerSchemes("localhost:3000", true)).toEqual(["http"]);
    expect(webfingerSchemes("[::1]:3000", true)).toEqual(["http"]);
    expect(webfingerSchemes("board.lan", true)).toEqual(["https", "http"]);
    expect(webfingerSchemes("192.168.1.20", true)).toEqual(["https", "http"]);
    expect(isLoopbackHost("128.0.0.1")).toBe(false);
  });
});
