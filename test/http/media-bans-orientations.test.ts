import sharp from "sharp";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestInstance, type TestInstance } from "../support/instance.js";
import { picture } from "../support/pictures.js";

/* A banned picture turned or mirrored is still refused at upload; an unrelated one is not. */

const TOKEN = "o".repeat(32);
const auth = { Authorization: `Bearer ${TOKEN}` };

describe("media bans by likeness, turned and mirrored", () => {
  let instance: TestInstance;

  beforeEach(async () => {
    instance = await startTestInstance({ ADMIN_TOKEN: TOKEN });
    await instance.services.boards.create({ uri: "b", title: "B" });
  });

  afterEach(async () => {
    await instance.stop();
  });

  it("refuses rotations by 90, 180 and 270 degrees and mirror images of a banned picture", async () => {
    const api = request(instance.app);
    const original = await picture(17, 1000, 700);
    const op = await api.post("/api/v1/boards/b/threads").field("com", "bad").attach("file", original, "a.jpg");
    expect(op.status).toBe(201);
    const ban = await api
      .post("/api/v1/admin/media_bans")
      .set(auth)
      .send({ post: `b/${op.body.no}`, reason: "bad" });
    expect(ban.status).toBe(201);
    // The ban keeps the picture's own hash only, not its orientations.
    const listed = await api.get("/api/v1/admin/media_bans").set(auth);
    expect((listed.body as Array<{ kind: string }>).filter((b) => b.kind === "pdq")).toHaveLength(1);

    const thread = await api
      .post("/api/v1/boards/b/threads")
      .field("com", "fine")
      .attach("file", await picture(3), "t.jpg");
    expect(thread.status).toBe(201);
    const copies: Record<string, Buffer> = {
      "turned 90°": await sharp(original).rotate(90).jpeg({ quality: 85 }).toBuffer(),
      "turned 180°": await sharp(original).rotate(180).jpeg({ quality: 85 }).toBuffer(),
      "turned 270°": await sharp(original).rotate(270).png().toBuffer(),
      "upside down": await sharp(original).flip().jpeg({ quality: 85 }).toBuffer(),
      "mirrored, smaller": await sharp(original).flop().resize(500, 350).jpeg({ quality: 70 }).toBuffer(),
    };
    const outcomes: Record<string, { status: number; detail: unknown }> = {};
    for (const [what, copy] of Object.entries(copies)) {
      const res = await api.post(`/api/v1/boards/b/threads/${thread.body.no}/replies`).attach("file", copy, "c.jpg");
      outcomes[what] = { status: res.status, detail: res.body.detail };
    }
    for (const what of Object.keys(copies))
      expect(outcomes[what], what).toEqual({ status: 403, detail: "This file is not allowed here." });
    expect(await instance.services.store.posts.countPosts()).toBe(2);

    const unrelated = await api.post(`/api/v1/boards/b/threads/${thread.body.no}/replies`).attach(
      "file",
      await sharp(await picture(18, 1000, 700))
        .rotate(90)
        .jpeg()
        .toBuffer(),
      "other.jpg",
    );
    expect(unrelated.status).toBe(201);
  });
});
