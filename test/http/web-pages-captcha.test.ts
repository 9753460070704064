import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cookieValue, setCookieHeader } from "../support/cookies.js";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";

/* The posting captcha on the HTML pages: shown, checked, and spent once per challenge. */

describe("web pages with the captcha on", () => {
  let instance: TestInstance;
  let jpeg: Buffer;

  beforeAll(async () => {
    instance = await startTestInstance({ CAPTCHA: "on" });
    jpeg = await makeJpeg(64, 48);
    await instance.services.boards.create({ uri: "b", title: "Random" });
  });

  afterAll(async () => {
    await instance?.stop();
  });

  it("shows the captcha in the form and refuses a post without an answer", async () => {
    const index = await request(instance.app).get("/b/");
    expect(index.text).toContain('<img class="captcha" src="/captcha.png"');
    expect(index.text).toContain('name="captcha_answer"');
    const res = await request(instance.app).post("/b/post").field("com", "no captcha").attach("file", jpeg, "a.jpg");
    expect(res.status).toBe(400);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.text).toContain("captcha");
  });

  it("accepts the answer to the captcha image the browser loaded", async () => {
    const agent = request.agent(instance.app);
    const image = await agent.get("/captcha.png");
    expect(image.status).toBe(200);
    expect(image.headers["content-type"]).toBe("image/png");
    expect(image.headers["cache-control"]).toBe("no-store");
    const cookie = setCookieHeader(image, "atoll_captcha");
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/Path=\//);
    const id = cookieValue(image, "atoll_captcha");
    expect(id).toBeTruthy();
    const answer = instance.services.captcha.answerOf(id ?? "");
    expect(answer).toBeTruthy();

    const wrong = await agent
      .post("/b/post")
      .field("com", "guess")
      .field("captcha_answer", "zzzzzz")
      .attach("file", jpeg, "a.jpg");
    expect(wrong.status).toBe(400);

    const again = await agent.get("/captcha.png");
    const right = instance.services.captcha.answerOf(cookieValue(again, "atoll_captcha") ?? "");
    const ok = await agent
      .post("/b/post")
      .field("com", "solved")
      .field("captcha_answer", right ?? "")
      .attach("file", jpeg, "a.jpg");
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toMatch(/^\/b\/thread\/\d+$/);
  });

  it("takes each open tab's captcha: solving one leaves the other answerable, a wrong answer spends both", async () => {
    const agent = request.agent(instance.app);
    const newest = async () => (cookieValue(await agent.get("/captcha.png"), "atoll_captcha") ?? "").split(".")[0]!;
    const post = (answer: string) =>
      agent.post("/b/post").field("com", "from a tab").field("captcha_answer", answer).attach("file", jpeg, "a.jpg");
    const answerOf = (id: string) => instance.services.captcha.answerOf(id) ?? "";

    // Two tabs load their pages, each its own image; the first tab posts, then the second.
    const first = await newest();
    const second = await newest();
    expect(first).not.toBe(second);
    expect((await post(answerOf(first))).status).toBe(303);
    expect((await post(answerOf(second))).status).toBe(303);
    // Each was spent by its post.
    const replayed = await post(answerOf(first));
    expect(replayed.status).toBe(400);

    // A wrong answer spends every challenge held, so none can be guessed at again.
    const third = await newest();
    const fourth = await newest();
    expect(await instance.services.captcha.usable([third, fourth])).toEqual([third, fourth]);
    expect((await post("zzzzzz")).status).toBe(400);
    expect(await instance.services.captcha.usable([third, fourth])).toEqual([]);
    expect((await post(answerOf(third))).status).toBe(400);
  });
});
