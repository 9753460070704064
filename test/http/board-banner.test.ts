import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { collectOrphanedMedia } from "../../server/services/media-gc.js";
import { csrfOf, signIn } from "../support/admin-session.js";
import { makePng, startTestInstance, type TestInstance } from "../support/instance.js";

/* A board's banner: uploaded by its owner on the settings page, shown atop its pages, removable. */

const PASSWORD = "correct horse battery";

describe("board banner", () => {
  let instance: TestInstance;

  afterEach(async () => {
    await instance?.stop();
  });

  it("uploads a bounded banner, shows it on index, catalog and thread, keeps it from the collector, removes it", async () => {
    instance = await startTestInstance();
    await instance.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
    await instance.services.boards.create({ uri: "c", title: "Other", settings: { requireImageForThread: false } });
    await instance.services.staff.createUser("owner", PASSWORD, "board_owner", ["b"]);
    const op = await instance.services.posting.createThread({ board: "b", comment: "op", ip: "203.0.113.1" });
    const { agent } = await signIn(instance.app, "owner", PASSWORD);
    const settings = await agent.get("/admin/boards/b");
    expect(settings.text).toContain('name="banner"');
    const csrf = csrfOf(settings.text);

    const tooWide = await agent
      .post("/admin/boards/b/banner")
      .field("csrf", csrf)
      .attach("banner", await makePng(400, 100), "wide.png");
    expect(tooWide.status).toBe(400);
    expect(tooWide.text).toContain("at most 300×100 pixels");
    const notImage = await agent
      .post("/admin/boards/b/banner")
      .field("csrf", csrf)
      .attach("banner", Buffer.from("not an image"), "x.png");
    expect(notImage.status).toBe(415);
    // Not the owner of /c/: refused.
    const other = await agent
      .post("/admin/boards/c/banner")
      .field("csrf", csrf)
      .attach("banner", await makePng(300, 100), "b.png");
    expect(other.status).toBe(403);
    expect((await instance.services.boards.get("b")).settings.banner).toBe("");

    const ok = await agent
      .post("/admin/boards/b/banner")
      .field("csrf", csrf)
      .attach("banner", await makePng(300, 100), "banner.png");
    expect(ok.status).toBe(303);
    const file = (await instance.services.boards.get("b")).settings.banner;
    expect(file).toMatch(/^[0-9a-f]{64}\.png$/);
    const src = `/media/b/banner/${file}`;
    for (const path of ["/b/", "/b/catalog", `/b/thread/${op.no}`]) {
      const page = await request(instance.app).get(path);
      expect(page.text).toContain(`<img class="board-banner" src="${src}"`);
    }
    expect((await request(instance.app).get("/c/")).text).not.toContain("board-banner");
    const image = await request(instance.app).get(src);
    expect(image.status).toBe(200);
    expect(image.headers["content-type"]).toBe("image/png");
    // Only the banner a board names is served by that path.
    expect((await request(instance.app).get(`/media/c/banner/${file}`)).status).toBe(404);

    await collectOrphanedMedia(
      instance.services.store,
      instance.services.media,
      instance.services.logger,
      async () => {},
      0,
    );
    expect((await request(instance.app).get(src)).status).toBe(200);

    const removed = await agent.post("/admin/boards/b/banner/remove").type("form").send({ csrf });
    expect(removed.status).toBe(303);
    expect((await instance.services.boards.get("b")).settings.banner).toBe("");
    expect((await request(instance.app).get("/b/")).text).not.toContain("board-banner");
    expect((await request(instance.app).get(src)).status).toBe(404);
  });
});
