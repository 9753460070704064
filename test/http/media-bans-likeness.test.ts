import sharp from "sharp";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pdqOfImage } from "../../server/services/media-hash.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";
import { picture } from "../support/pictures.js";

/* Perceptual media bans: look-alike copies of a banned picture are refused, other pictures are not. */

const TOKEN = "p".repeat(32);
const auth = { Authorization: `Bearer ${TOKEN}` };

describe("media bans by likeness (PDQ)", () => {
  let instance: TestInstance;

  beforeEach(async () => {
    instance = await startTestInstance({ ADMIN_TOKEN: TOKEN });
    await instance.services.boards.create({ uri: "b", title: "B" });
  });

  afterEach(async () => {
    await instance.stop();
  });

  it("delete and ban also bans the picture's likeness: resized and re-encoded copies are refused", async () => {
    const api = request(instance.app);
    const original = await picture(7);
    const op = await api.post("/api/v1/boards/b/threads").field("com", "bad").attach("file", original, "a.jpg");
    expect(op.status).toBe(201);

    const res = await api
      .post("/api/v1/admin/media_bans")
      .set(auth)
      .send({ post: `b/${op.body.no}`, reason: "bad" });
    expect(res.status).toBe(201);
    expect((res.body.bans as Array<{ kind: string }>).map((b) => b.kind).sort()).toEqual(["pdq", "sha256"]);

    const copies = {
      resized: await sharp(original).resize(400, 300).jpeg({ quality: 80 }).toBuffer(),
      "low quality": await sharp(original).jpeg({ quality: 25 }).toBuffer(),
      png: await sharp(original).png().toBuffer(),
    };
    for (const [what, copy] of Object.entries(copies)) {
      const refused = await api
        .post(`/api/v1/boards/b/threads/${op.body.no}/replies`)
        .attach("file", copy, `${what}.jpg`);
      expect({ what, status: refused.status, detail: refused.body.detail }).toEqual({
        what,
        status: 403,
        detail: "This file is not allowed here.",
      });
    }
    expect(await instance.services.store.posts.countPosts()).toBe(1);

    const unrelated = await api
      .post(`/api/v1/boards/b/threads/${op.body.no}/replies`)
      .attach("file", await picture(99), "other.jpg");
    expect(unrelated.status).toBe(201);
  });

  it("a PDQ ban given by hash refuses look-alikes within its distance, and lifting it lets them in", async () => {
    const api = request(instance.app);
    const source = await picture(21);
    const hash = await pdqOfImage(source);
    expect(hash?.quality).toBeGreaterThanOrEqual(50);
    const ban = await api
      .post("/api/v1/admin/media_bans")
      .set(auth)
      .send({ pdq: hash?.hex.toUpperCase(), reason: "known" });
    expect(ban.status).toBe(201);

    const copy = await sharp(source).resize(640, 480).jpeg({ quality: 60 }).toBuffer();
    const refused = await api.post("/api/v1/boards/b/threads").field("com", "x").attach("file", copy, "c.jpg");
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.body)).not.toMatch(/pdq|sha256|list/i);

    expect((await api.delete(`/api/v1/admin/media_bans/${ban.body.id}`).set(auth)).status).toBe(204);
    const accepted = await api.post("/api/v1/boards/b/threads").field("com", "x").attach("file", copy, "c.jpg");
    expect(accepted.status).toBe(201);
  });

  it("a file posted again is checked for likeness, whether or not its hash was computed the first time", async () => {
    const api = request(instance.app);
    const post = (file: Buffer) =>
      api.post("/api/v1/boards/b/threads").field("com", "again").attach("file", file, "again.jpg");
    const banLikeness = async (file: Buffer) => {
      const hash = await pdqOfImage(file);
      const res = await api.post("/api/v1/admin/media_bans").set(auth).send({ pdq: hash?.hex, reason: "r" });
      expect(res.status).toBe(201);
    };
    // Posted while no ban by likeness exists: its hash is not computed then.
    const first = await picture(31);
    expect((await post(first)).status).toBe(201);
    await banLikeness(await sharp(first).resize(500, 375).toBuffer());
    expect((await post(first)).status).toBe(403);

    // Posted while one exists: its hash is kept with it, and a later ban applies to it too.
    const second = await picture(32);
    expect((await post(second)).status).toBe(201);
    expect((await post(second)).status).toBe(201);
    await banLikeness(await sharp(second).jpeg({ quality: 50 }).toBuffer());
    expect((await post(second)).status).toBe(403);
    expect(await instance.services.store.posts.countPosts()).toBe(3);
  });
});
