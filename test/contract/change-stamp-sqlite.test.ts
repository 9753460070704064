import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../storage/sqlite/store.js";
import { newBoard, newPost, ROOMY } from "./factories.js";

describe("the SQLite store's change stamp", () => {
  const dir = mkdtempSync(join(tmpdir(), "atoll-change-stamp-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("stays while nothing is written and moves with every commit, this connection's or another's", async () => {
    const file = join(dir, "shared.db");
    const one = openSqliteStore(file, { checkpoints: false });
    const two = openSqliteStore(file, { checkpoints: false });
    try {
      const stamp = () => one.changeStamp?.();
      const first = stamp();
      expect(first).toEqual(expect.any(String));
      await one.posts.getThreadPosts("b", 1);
      expect(stamp()).toBe(first);

      await one.boards.create(newBoard("b"));
      const afterOwn = stamp();
      expect(afterOwn).not.toBe(first);
      expect(stamp()).toBe(afterOwn);

      // A commit through another connection on the same file: another process.
      await two.posts.createThread("b", newPost({ comment: "from the other connection" }), ROOMY);
      const afterOther = stamp();
      expect(afterOther).not.toBe(afterOwn);
      expect(stamp()).toBe(afterOther);

      // A grouped commit (replies go through one) moves it too.
      const [thread] = await one.posts.listThreads("b", { order: "bump", offset: 0, limit: 1, archived: false });
      await one.posts.createReply("b", thread!.state.no, newPost({ comment: "a reply" }), ROOMY);
      expect(stamp()).not.toBe(afterOther);
    } finally {
      await two.close();
      await one.close();
    }
  });
});
