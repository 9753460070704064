import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";

/*
 * The web form as the quick reply posts it (Accept: application/json): the new post's number in
 * JSON instead of a redirect, errors as problem+json, and the folded forms and sage mark on the pages.
 */

describe("the web posting form answering a script", () => {
  let instance: TestInstance;
  let threadNo: number;

  beforeAll(async () => {
    instance = await startTestInstance();
    await instance.services.boards.create({ uri: "b", title: "Random" });
    const op = await instance.services.posting.createThread({
      board: "b",
      comment: "op",
      file: { buffer: await makeJpeg(64, 48), originalName: "a.jpg" },
      ip: "10.1.1.1",
    });
    threadNo = op.no;
  });

  afterAll(async () => {
    await instance?.stop();
  });

  it("answers a reply with its number in JSON, and a browser with the usual redirect", async () => {
    const res = await request(instance.app)
      .post(`/b/thread/${threadNo}/reply`)
      .set("Accept", "application/json")
      .field("com", "from a script")
      .field("email", "sage");
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ board: "b", thread: threadNo, no: expect.any(Number) });
    const plain = await request(instance.app).post(`/b/thread/${threadNo}/reply`).field("com", "from a form");
    expect(plain.status).toBe(303);
    expect(plain.headers["location"]).toMatch(new RegExp(`^/b/thread/${threadNo}#p\\d+$`));

    const page = await request(instance.app).get(`/b/thread/${threadNo}`);
    expect(page.text).toContain('<details class="form-box top-form" id="reply"><summary>[Post a Reply]</summary>');
    expect(page.text.match(/class="sage"/g)?.length).toBe(1);
    expect(page.text).toContain(`id="p${res.body.no}"`);
  });

  it("refuses a bad post with problem+json and writes nothing", async () => {
    const before = (await instance.services.store.posts.getThread("b", threadNo))?.replyCount;
    const res = await request(instance.app)
      .post(`/b/thread/${threadNo}/reply`)
      .set("Accept", "application/json")
      .field("com", "x".repeat(5000));
    expect(res.status).toBe(400);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(String(res.body.detail ?? res.body.title)).toMatch(/longer than 4000/);
    expect((await instance.services.store.posts.getThread("b", threadNo))?.replyCount).toBe(before);
  });

  it("folds the new-thread form at the top of the index and the catalog", async () => {
    for (const path of ["/b/", "/b/catalog"]) {
      const page = await request(instance.app).get(path);
      expect(page.text).toContain(
        '<details class="form-box top-form" id="new-thread"><summary>[Start a New Thread]</summary>',
      );
    }
  });
});
