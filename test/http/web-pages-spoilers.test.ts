import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";

/* What a spoiler hides stays hidden wherever a page shows a post in brief or names its file. */

describe("spoilers on the pages", () => {
  let instance: TestInstance;
  let no: number;

  beforeAll(async () => {
    instance = await startTestInstance();
    await instance.services.boards.create({ uri: "b", title: "Random" });
    const res = await request(instance.app)
      .post("/b/post")
      .field("com", "The ending: [spoiler]Bruce Willis was dead[/spoiler] all along, and **Rosebud is a sled**.")
      .field("spoiler", "on")
      .attach("file", await makeJpeg(), "rosebud-is-the-sled.jpg");
    expect(res.status).toBe(303);
    no = Number(/(\d+)$/.exec(res.headers.location ?? "")?.[1]);
  });

  afterAll(async () => {
    await instance?.stop();
  });

  it("keeps spoilered text out of the catalog teaser and the thread's description", async () => {
    const catalog = await request(instance.app).get("/b/catalog");
    expect(catalog.status).toBe(200);
    expect(catalog.text).toContain("The ending: [spoiler] all along, and [spoiler].");
    const thread = await request(instance.app).get(`/b/thread/${no}`);
    const description = /<meta name="description" content="([^"]*)">/.exec(thread.text)?.[1];
    expect(description).toBe("The ending: [spoiler] all along, and [spoiler].");
    for (const page of [catalog.text, thread.text.replace(/<blockquote class="comment">[\s\S]*?<\/blockquote>/g, "")]) {
      expect(page).not.toContain("Bruce Willis");
      expect(page).not.toContain("Rosebud");
    }
    // The post itself still carries the text, behind the spoiler bar.
    expect(thread.text).toContain("<s>Bruce Willis was dead</s>");
  });

  it("names a spoilered file Spoiler Image on the pages, and by its name in the JSON API as 4chan does", async () => {
    for (const path of [`/b/thread/${no}`, "/b/"]) {
      const page = await request(instance.app).get(path);
      expect(page.text, path).toContain(">Spoiler Image</a>");
      expect(page.text, path).not.toContain("rosebud-is-the-sled");
    }
    const json = await request(instance.app).get(`/b/thread/${no}.json`);
    expect(json.body.posts[0]).toMatchObject({ filename: "rosebud-is-the-sled", ext: ".jpg", spoiler: 1 });
  });
});
