import request from "supertest";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { domainBlock } from "../support/domain-rules.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";
import {
  BAD,
  boardRule,
  FINE,
  type FourchanPost,
  type Pages,
  QUIET,
  reader,
  seedBoards,
  setRules,
  threadNos,
} from "../support/visibility-boards.js";

/*
 * How what readers see follows the rules: noop rules change nothing, board rules stay on their board,
 * lifted and expired rules bring posts back, and the pages' ETags change with the rules.
 * Real app, real SQLite store, remote posts stored as the inbox stores them.
 */

const block = domainBlock;

describe("what readers see of posts from limited and suspended servers", () => {
  let t: TestInstance;
  let now = Date.UTC(2030, 0, 1);
  const clock = () => now;
  let get: (path: string, cookie?: string) => request.Test;
  // Thread and post numbers on /b/.
  let alpha: number;
  let badRepliesInAlpha: number[];
  let badThread: number;
  let fineThread: number;
  let cFineThread: number;

  beforeAll(async () => {
    t = await startTestInstance({}, { clock });
    get = reader(t);
    ({ alpha, badRepliesInAlpha, badThread, fineThread, cFineThread } = await seedBoards(t, () => {
      now += 1000;
    }));
  });

  afterAll(async () => {
    await t?.stop();
  });

  afterEach(() => setRules(t));

  it("changes nothing for a noop rule", async () => {
    const paths = ["/b/", "/b/catalog", `/b/thread/${alpha}`, "/b/threads.json", "/b/catalog.json", "/b/1.json"];
    const before = await Promise.all(paths.map((p) => get(p)));
    setRules(t, {
      blocks: [
        block(QUIET, "noop", { rejectMedia: true, rejectReports: true }),
        block(BAD, "noop"),
        block(FINE, "noop"),
      ],
    });
    const after = await Promise.all(paths.map((p) => get(p)));
    for (let i = 0; i < paths.length; i++) {
      expect(after[i]?.status).toBe(200);
      expect(after[i]?.headers.etag).toBe(before[i]?.headers.etag);
    }
    expect(after[0]?.text).toContain("QUIET-OP");
    expect(after[0]?.text).toContain("BAD-OP");
  });

  it("applies a board's own rule on that board only", async () => {
    setRules(t, { boardRules: [boardRule("b", FINE, "suspend")] });
    expect((await get("/b/")).text).not.toContain("FINE-OP");
    expect((await get(`/b/thread/${fineThread}`)).status).toBe(404);
    expect(threadNos((await get("/b/threads.json")).body as Pages)).not.toContain(fineThread);
    expect((await get("/c/")).text).toContain("C-FINE-OP");
    expect((await get(`/c/thread/${cFineThread}`)).status).toBe(200);
    expect((await get(`/c/thread/${cFineThread}.json`)).status).toBe(200);

    setRules(t, { boardRules: [boardRule("b", FINE, "silence")] });
    expect((await get("/b/")).text).not.toContain("FINE-OP");
    expect((await get("/b/?show_limited=1")).text).toContain("FINE-OP");
    expect((await get(`/b/thread/${fineThread}`)).status).toBe(200);
    expect((await get("/c/")).text).toContain("C-FINE-OP");
  });

  it("brings everything back when a rule is lifted", async () => {
    setRules(t, { blocks: [block(BAD, "suspend"), block(QUIET, "silence")] });
    expect((await get("/b/")).text).not.toContain("BAD-OP");
    expect((await get(`/b/thread/${badThread}`)).status).toBe(404);
    setRules(t);
    const index = await get("/b/");
    expect(index.text).toContain("BAD-OP");
    expect(index.text).toContain("QUIET-OP");
    expect(index.text).toContain("BAD-REPLY-5.");
    expect((await get(`/b/thread/${badThread}`)).status).toBe(200);
    expect((await get(`/b/thread/${badThread}.json`)).status).toBe(200);
    expect(threadNos((await get("/b/threads.json")).body as Pages)).toContain(badThread);
    expect((await get("/b/archive")).text).toContain("BAD-ARCHIVED");
  });

  it("changes ETags with the rules and with the opt-in", async () => {
    const paths = ["/b/", "/b/catalog", `/b/thread/${alpha}`, "/b/threads.json", `/b/thread/${alpha}.json`];
    const open = await Promise.all(paths.map((p) => get(p)));
    setRules(t, { blocks: [block(BAD, "suspend")] });
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i] ?? "";
      const etag = open[i]?.headers.etag ?? "";
      expect(etag).not.toBe("");
      // A client holding the page from before the rule gets the new one, not a 304.
      const res = await request(t.app).get(path).set("If-None-Match", etag);
      expect(res.status).toBe(200);
      expect(res.headers.etag).not.toBe(etag);
    }
    setRules(t);
    for (let i = 0; i < paths.length; i++) {
      const res = await request(t.app)
        .get(paths[i] ?? "")
        .set("If-None-Match", open[i]?.headers.etag ?? "");
      expect(res.status).toBe(304);
    }

    setRules(t, { blocks: [block(QUIET, "silence")] });
    const plain = await get("/b/");
    const opted = await get("/b/", "show_limited=1");
    expect(opted.headers.etag).not.toBe(plain.headers.etag);
    expect((await get("/b/", "show_limited=1").set("If-None-Match", plain.headers.etag ?? "")).status).toBe(200);
    expect((await get("/b/").set("If-None-Match", plain.headers.etag ?? "")).status).toBe(304);
  });

  it("follows a rule's expiry without a change of the rules", async () => {
    setRules(t, { blocks: [block(BAD, "suspend", { expiresAt: now + 60_000 })] });
    const version = t.services.policy.version;
    expect((await get("/b/")).text).not.toContain("BAD-OP");
    expect((await get(`/b/thread/${alpha}.json`)).body).toSatisfy(
      (b: { posts: FourchanPost[] }) => !b.posts.some((x) => x.no === badRepliesInAlpha[0]),
    );
    now += 61_000;
    expect((await get("/b/")).text).toContain("BAD-OP");
    expect((await get(`/b/thread/${alpha}.json`)).body).toSatisfy((b: { posts: FourchanPost[] }) =>
      b.posts.some((x) => x.no === badRepliesInAlpha[0]),
    );
    expect((await get(`/b/thread/${badThread}`)).status).toBe(200);
    expect(t.services.policy.version).toBe(version);
  });
});
