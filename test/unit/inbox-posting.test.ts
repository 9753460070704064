import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg, makePng, startTestInstance, type TestInstance } from "../support/instance.js";

const ACTOR = "https://remote.example/users/alice";
let seq = 0;
const remote = (extra: Record<string, unknown> = {}) => ({
  name: "alice@remote.example",
  subject: null,
  comment: "from afar",
  html: "<p>from afar</p>",
  apId: `https://remote.example/notes/${++seq}`,
  fediActor: ACTOR,
  ...extra,
});

describe("PostingService.createRemote", () => {
  let t: TestInstance;
  let op: number;

  beforeAll(async () => {
    // Cooldowns on: remote posts must not be subject to them.
    t = await startTestInstance({ RATE_LIMIT: "on" });
    await t.services.boards.create({
      uri: "b",
      title: "Random",
      settings: { requireImageForThread: false, imageLimit: 2, maxCommentLength: 20, allowedTypes: ["image/jpeg"] },
    });
    await t.services.boards.create({ uri: "pics", title: "Pictures" });
    op = (await t.services.posting.createThread({ board: "b", comment: "op", ip: "192.0.2.1" })).no;
  });
  afterAll(() => t.stop());

  it("stores the post as given, without address, password, cooldown or captcha", async () => {
    const first = await t.services.posting.createRemote({ board: "b", threadNo: op, ...remote() });
    const second = await t.services.posting.createRemote({ board: "b", threadNo: op, ...remote() });
    expect(first.imageRefused).toBeNull();
    expect(first.post).toMatchObject({
      threadNo: op,
      name: "alice@remote.example",
      comment: "from afar",
      html: "from afar",
      ipHash: null,
      passwordHash: null,
      fediActor: ACTOR,
      trip: null,
    });
    expect(second.post.no).toBe(first.post.no + 1);
    expect(first.post.comment.length).toBeLessThanOrEqual(20);
  });

  it("uses the board and thread the caller just read instead of reading them again, when they are the ones named", async () => {
    const board = (await t.services.store.boards.get("b"))!;
    const thread = (await t.services.store.posts.getThread("b", op))!;
    // Stand-ins that differ from what is stored show which ones were used.
    const strict = { ...board, settings: { ...board.settings, maxCommentLength: 5 } };
    const { post } = await t.services.posting.createRemote(
      { board: "b", threadNo: op, ...remote({ comment: "0123456789" }) },
      { board: strict, thread },
    );
    expect(post.comment).toBe("01234");
    const locked = { ...thread, locked: true };
    await expect(
      t.services.posting.createRemote({ board: "b", threadNo: op, ...remote() }, { board, thread: locked }),
    ).rejects.toMatchObject({ kind: "locked" });
    // Another board's or thread's are not taken for the one named.
    const other = await t.services.posting.createRemote(
      { board: "b", threadNo: op, ...remote({ comment: "0123456789" }) },
      { board: { ...strict, uri: "pics" }, thread: { ...locked, no: op + 1000 } },
    );
    expect(other.post.comment).toBe("0123456789");
  });

  it("cuts the text to the board's comment limit", async () => {
    const { post } = await t.services.posting.createRemote({
      board: "b",
      threadNo: op,
      ...remote({ comment: "x".repeat(100) }),
    });
    expect(post.comment).toBe("x".repeat(20));
  });

  it("processes an image like an upload, and leaves out one the board does not take", async () => {
    const jpeg = await t.services.posting.createRemote({
      board: "b",
      threadNo: op,
      ...remote(),
      images: [{ buffer: await makeJpeg(100, 80), originalName: "cat.jpg" }],
      spoiler: true,
    });
    expect(jpeg.post.file).toMatchObject({
      mime: "image/jpeg",
      width: 100,
      height: 80,
      filename: "cat",
      spoiler: true,
    });
    expect(await t.services.media.has(jpeg.post.file!.thumbSha256)).toBe(true);

    const png = await t.services.posting.createRemote({
      board: "b",
      threadNo: op,
      ...remote(),
      images: [{ buffer: await makePng(), originalName: "x.png" }],
    });
    expect(png.post.file).toBeNull();
    expect(png.imageRefused).toMatch(/PNG/);
    const junk = await t.services.posting.createRemote({
      board: "b",
      threadNo: op,
      ...remote(),
      images: [{ buffer: Buffer.from("not an image"), originalName: "x.jpg" }],
    });
    expect(junk.post.file).toBeNull();
    expect(junk.imageRefused).not.toBeNull();
  });

  it("keeps the text when the thread has reached its image limit", async () => {
    await t.services.posting.createRemote({
      board: "b",
      threadNo: op,
      ...remote(),
      images: [{ buffer: await makeJpeg(50, 50), originalName: "two.jpg" }],
    });
    const over = await t.services.posting.createRemote({
      board: "b",
      threadNo: op,
      ...remote(),
      images: [{ buffer: await makeJpeg(60, 60), originalName: "three.jpg" }],
    });
    expect(over.post.file).toBeNull();
    expect(over.imageRefused).toMatch(/image limit/);
  });

  it("keeps board rules: locked threads, images for new threads, something to show", async () => {
    const posting = t.services.posting;
    await expect(posting.createRemote({ board: "pics", threadNo: null, ...remote() })).rejects.toMatchObject({
      kind: "invalid",
    });
    const thread = await posting.createRemote({ board: "b", threadNo: null, ...remote({ subject: "  Subject  " }) });
    expect(thread.post).toMatchObject({ subject: "Subject", threadNo: thread.post.no });
    await t.services.store.posts.setThreadFlags("b", thread.post.no, { locked: true });
    await expect(posting.createRemote({ board: "b", threadNo: thread.post.no, ...remote() })).rejects.toMatchObject({
      kind: "locked",
    });
    await expect(
      posting.createRemote({ board: "b", threadNo: op, ...remote({ comment: " \n " }) }),
    ).rejects.toMatchObject({ kind: "invalid" });
    await expect(posting.createRemote({ board: "nope", threadNo: null, ...remote() })).rejects.toMatchObject({
      kind: "not_found",
    });
  });

  it("deletes a remote post without a password, with its media", async () => {
    const { post } = await t.services.posting.createRemote({
      board: "b",
      threadNo: null,
      ...remote(),
      images: [{ buffer: await makeJpeg(70, 70), originalName: "gone.jpg" }],
    });
    const deleted = await t.services.posting.deleteRemote("b", post.no);
    expect(deleted.map((p) => p.no)).toEqual([post.no]);
    expect(await t.services.store.posts.getPost("b", post.no)).toBeNull();
    expect(await t.services.media.has(post.file!.sha256)).toBe(false);
  });
});
