import { createHash } from "node:crypto";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestInstance } from "../support/instance.js";
import { call, startLoopbackInstance } from "../support/loopback.js";
import { picture } from "../support/pictures.js";

/* One Atoll instance subscribing to another's list: by a minted token, or signed by its instance actor once granted. */

const TOKEN = "p".repeat(32);
const auth = { Authorization: `Bearer ${TOKEN}` };
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("hash lists offered to chosen peers", () => {
  let A: TestInstance;
  let B: TestInstance;
  let C: TestInstance;
  let banned: Buffer;

  beforeAll(async () => {
    [A, B, C] = await Promise.all([
      startLoopbackInstance("127.0.0.142", TOKEN),
      startLoopbackInstance("127.0.0.143", TOKEN),
      startLoopbackInstance("127.0.0.144", TOKEN),
    ]);
    await B.services.boards.create({ uri: "b", title: "B" });
    banned = await picture(41, 400, 300);
    await request(A.app)
      .post("/api/v1/admin/media_bans")
      .set(auth)
      .send({ sha256: sha256(banned), reason: "bad" })
      .expect(201);
    await request(A.app)
      .post("/api/v1/admin/media_bans")
      .set(auth)
      .send({ pdq: "c".repeat(64), distance: 12 })
      .expect(201);
  });

  afterAll(async () => {
    await Promise.all([A.stop(), B.stop(), C.stop()]);
  });

  const upload = (t: TestInstance, file: Buffer) =>
    request(t.app).post("/api/v1/boards/b/threads").field("com", "x").attach("file", file, "a.jpg");
  const subscribe = (t: TestInstance, body: Record<string, unknown>) =>
    call(t.url, "POST", "/api/v1/admin/media_ban_lists", body, auth);

  it("is never served anonymously, nor to a wrong or revoked token", async () => {
    const list = `${A.url}/api/v1/media_bans/list?format=sha256`;
    const anonymous = await fetch(list);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain(sha256(banned));
    const wrong = await fetch(list, { headers: { Authorization: "Bearer atl_nothing" } });
    expect(wrong.status).toBe(403);

    const minted = await call(A.url, "POST", "/api/v1/admin/media_ban_list_tokens", { label: "peer" }, auth);
    expect(minted.status).toBe(201);
    const { token, id } = minted.json as { token: string; id: string };
    const ok = await fetch(list, { headers: { Authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe(`${sha256(banned)}\n`);
    const listed = await call(A.url, "GET", "/api/v1/admin/media_ban_list_tokens", undefined, auth);
    expect(JSON.stringify(listed.json)).not.toContain(token);
    await call(A.url, "DELETE", `/api/v1/admin/media_ban_list_tokens/${id}`, undefined, auth);
    expect((await fetch(list, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(403);
  });

  it("lets B subscribe to A's list with a token A minted", async () => {
    const minted = await call(A.url, "POST", "/api/v1/admin/media_ban_list_tokens", { label: "B" }, auth);
    const { token } = minted.json as { token: string };
    expect((await upload(B, banned)).status).toBe(201);
    const sub = await subscribe(B, { url: `${A.url}/api/v1/media_bans/list?format=atoll`, format: "atoll", token });
    expect(sub.status).toBe(201);
    expect(sub.json).toMatchObject({ last_status: "ok", last_change: { added: 2, removed: 0 } });
    const refused = await upload(B, banned);
    expect(refused.status).toBe(403);
    const reasons = (await B.services.store.mediaBans.list()).map((b) => [b.kind, b.reason, b.distance]);
    expect(reasons).toEqual(
      expect.arrayContaining([
        ["sha256", "bad", null],
        ["pdq", "", 12],
      ]),
    );
    await call(B.url, "DELETE", `/api/v1/admin/media_ban_lists/${(sub.json as { id: string }).id}`, undefined, auth);
  });

  it("serves a signed fetch only from a granted domain's instance actor", async () => {
    const url = `${A.url}/api/v1/media_bans/list?format=sha256`;
    const early = await subscribe(C, { url, format: "sha256" });
    expect(early.status).toBe(201);
    expect((early.json as { last_status: string }).last_status).toMatch(/^error: .*HTTP 403/);

    const granted = await call(A.url, "POST", "/api/v1/admin/media_ban_list_peers", { domain: "127.0.0.143" }, auth);
    expect(granted.status).toBe(201);
    const sub = await subscribe(B, { url, format: "sha256" });
    expect(sub.json).toMatchObject({ last_status: "ok", last_change: { added: 1, removed: 0 } });
    expect((await upload(B, banned)).status).toBe(403);

    // C, never granted, is still refused, and so is B once its grant is revoked (its bans stay until a sync succeeds).
    const id = (early.json as { id: string }).id;
    expect((await call(C.url, "POST", `/api/v1/admin/media_ban_lists/${id}/sync`, undefined, auth)).status).toBe(422);
    await call(A.url, "DELETE", "/api/v1/admin/media_ban_list_peers/127.0.0.143", undefined, auth);
    const bId = (sub.json as { id: string }).id;
    expect((await call(B.url, "POST", `/api/v1/admin/media_ban_lists/${bId}/sync`, undefined, auth)).status).toBe(422);
    expect((await upload(B, banned)).status).toBe(403);

    const trail = await call(A.url, "GET", "/api/v1/admin/media_ban_lists/audit", undefined, auth);
    const actions = (trail.json as Array<{ action: string }>).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["peer.grant", "peer.revoke", "token.create"]));
  });
});
