import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { csrfOf, signIn } from "../support/admin-session.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

/* A board's own captcha mode over the instance default, and its owner's announcement. */

const TOKEN = "a-test-admin-token-of-enough-length";
const PASSWORD = "correct horse battery";

describe("per-board captcha mode and announcement", () => {
  let instance: TestInstance;

  afterEach(async () => {
    await instance?.stop();
  });

  const setMode = (uri: string, captchaMode: string) =>
    request(instance.app)
      .patch(`/api/v1/admin/boards/${uri}`)
      .set("Authorization", `Bearer ${TOKEN}`)
      .send({ settings: { captchaMode } });

  /** Whether a new thread and then a reply (to an existing thread) are refused for want of a captcha. */
  const refusals = async (uri: string, threadNo: number) => {
    const t = await request(instance.app).post(`/${uri}/post`).field("com", "new thread");
    const r = await request(instance.app).post(`/${uri}/thread/${threadNo}/reply`).field("com", "a reply");
    const page = await request(instance.app).get(`/${uri}/thread/${threadNo}`);
    return {
      thread: t.status === 400 && t.text.includes("captcha"),
      reply: r.status === 400 && r.text.includes("captcha"),
      replyFormAsks: page.text.includes('name="captcha_answer"'),
    };
  };

  it("applies off, threads-only and all-posts per board, the instance default elsewhere", async () => {
    instance = await startTestInstance({ CAPTCHA: "off", ADMIN_TOKEN: TOKEN });
    const ops: Record<string, number> = {};
    for (const uri of ["d", "o", "t", "a"]) {
      await instance.services.boards.create({ uri, title: uri, settings: { requireImageForThread: false } });
      ops[uri] = (await instance.services.posting.createThread({ board: uri, comment: "op", ip: "203.0.113.1" })).no;
    }
    expect((await setMode("o", "off")).status).toBe(200);
    expect((await setMode("t", "threads")).status).toBe(200);
    const all = await setMode("a", "all");
    expect(all.status).toBe(200);
    expect((all.body as { settings: { captchaMode: string } }).settings.captchaMode).toBe("all");
    const bad = await setMode("a", "sometimes");
    expect(bad.status).toBe(400);

    expect(await refusals("d", ops["d"] ?? 0)).toEqual({ thread: false, reply: false, replyFormAsks: false });
    expect(await refusals("o", ops["o"] ?? 0)).toEqual({ thread: false, reply: false, replyFormAsks: false });
    expect(await refusals("t", ops["t"] ?? 0)).toEqual({ thread: true, reply: false, replyFormAsks: false });
    expect(await refusals("a", ops["a"] ?? 0)).toEqual({ thread: true, reply: true, replyFormAsks: true });
    const tIndex = await request(instance.app).get("/t/");
    expect(tIndex.text).toContain('name="captcha_answer"');
  });

  it("turns the captcha off on one board of an instance that has it on", async () => {
    instance = await startTestInstance({ CAPTCHA: "on", ADMIN_TOKEN: TOKEN });
    for (const uri of ["d", "o"]) {
      await instance.services.boards.create({ uri, title: uri, settings: { requireImageForThread: false } });
    }
    const d = await instance.services.posting.createThread({ board: "d", comment: "op", ip: "203.0.113.1" });
    const o = await instance.services.posting.createThread({ board: "o", comment: "op", ip: "203.0.113.1" });
    await setMode("o", "off");
    expect(await refusals("d", d.no)).toEqual({ thread: true, reply: true, replyFormAsks: true });
    expect(await refusals("o", o.no)).toEqual({ thread: false, reply: false, replyFormAsks: false });
  });

  it("shows the owner's announcement, in the comment markup and escaped, on index, catalog and thread", async () => {
    instance = await startTestInstance({ ADMIN_TOKEN: TOKEN });
    await instance.services.boards.create({ uri: "b", title: "B", settings: { requireImageForThread: false } });
    await instance.services.staff.createUser("owner", PASSWORD, "board_owner", ["b"]);
    const op = await instance.services.posting.createThread({ board: "b", comment: "op", ip: "203.0.113.1" });
    const before = await request(instance.app).get("/b/");
    expect(before.text).not.toContain("board-announcement");

    const { agent } = await signIn(instance.app, "owner", PASSWORD);
    const settings = await agent.get("/admin/boards/b");
    expect(settings.text).toContain('name="announcement"');
    expect(settings.text).toContain('name="captchaMode"');
    const form = {
      csrf: csrfOf(settings.text),
      title: "B",
      description: "",
      defaultName: "Anonymous",
      bumpLimit: "300",
      maxThreads: "150",
      imageLimit: "150",
      threadsPerPage: "10",
      maxFileSize: String(8 * 1024 * 1024),
      maxFiles: "4",
      maxVideoDuration: "300",
      maxCommentLength: "4000",
      threadCooldown: "60",
      replyCooldown: "10",
      allowedTypes: "image/jpeg",
      captchaMode: "threads",
      announcement: ">Rules changed\n<script>alert(1)</script> [spoiler]soon[/spoiler] >>1",
    };
    const saved = await agent.post("/admin/boards/b/settings").type("form").send(form);
    expect(saved.status).toBe(303);
    const board = await instance.services.boards.get("b");
    expect(board.settings.captchaMode).toBe("threads");

    for (const path of ["/b/", "/b/catalog", `/b/thread/${op.no}`]) {
      const page = await request(instance.app).get(path);
      expect(page.status).toBe(200);
      expect(page.text).toContain('<div class="board-announcement" role="note">');
      expect(page.text).toContain('<span class="quote">&gt;Rules changed</span>');
      expect(page.text).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
      expect(page.text).not.toContain("<script>alert(1)");
      expect(page.text).toMatch(/<s>soon<\/s>|class="spoiler"/);
    }

    const tooLong = await request(instance.app)
      .patch("/api/v1/admin/boards/b")
      .set("Authorization", `Bearer ${TOKEN}`)
      .send({ settings: { announcement: "x".repeat(2001) } });
    expect(tooLong.status).toBe(400);
  });
});
