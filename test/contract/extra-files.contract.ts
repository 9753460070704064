import { describe, expect, it } from "vitest";
import { TimTaken } from "../../server/domain/errors.js";
import { newBoard, newFile, newPost, ROOMY } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

export function describeExtraFilesContract({ store }: ContractContext): void {
  describe("posts with several files", () => {
    it("keeps the files in order, with consecutive ids after the first, and finds each by tim", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const [a, b, c] = [newFile(), newFile(), newFile()];
      const { post } = await s.posts.createThread("b", newPost({ file: a, extraFiles: [b, c] }), ROOMY);
      expect(post.file).toEqual(a);
      expect(post.extraFiles.map((f) => f.sha256)).toEqual([b.sha256, c.sha256]);
      expect(post.extraFiles.map((f) => f.tim)).toEqual([a.tim + 1, a.tim + 2]);
      expect(await s.posts.getPost("b", post.no)).toEqual(post);
      expect((await s.posts.getThreadPosts("b", post.no))[0]).toEqual(post);
      for (const f of [post.file!, ...post.extraFiles]) expect(await s.posts.findFileByTim("b", f.tim)).toEqual(f);
      const referenced = await s.posts.referencedMedia();
      for (const f of [a, b, c]) {
        expect(referenced.has(f.sha256)).toBe(true);
        expect(referenced.has(f.thumbSha256)).toBe(true);
      }
      // a later file id stays above every id given out, extra ones included
      const reply = await s.posts.createReply("b", post.no, newPost({ file: newFile({ tim: a.tim }) }), ROOMY);
      expect(reply.file!.tim).toBeGreaterThan(a.tim + 2);
    });

    it("reserves file ids no post gets again, and an exact tim is refused when taken", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const a = newFile();
      const { post: op } = await s.posts.createThread("b", newPost({ file: a }), ROOMY);
      // an id the board gave out is not reserved again: the range starts past it
      const first = await s.posts.reserveTims("b", 2, a.tim);
      expect(first).toBe(a.tim + 1);
      expect(await s.posts.reserveTims("b", 1, a.tim + 1)).toBe(a.tim + 3);
      await expect(s.posts.reserveTims("nope", 1, 1)).rejects.toMatchObject({ kind: "not_found" });
      // a post asking for its ids on its own goes past every reserved one
      const later = await s.posts.createReply("b", op.no, newPost({ file: newFile({ tim: a.tim }) }), ROOMY);
      expect(later.file!.tim).toBe(a.tim + 4);

      const exact = { ...ROOMY, exactTim: true };
      const refused = await s.posts
        .createReply(
          "b",
          op.no,
          newPost({ file: newFile({ tim: first }), extraFiles: [newFile({ tim: a.tim })] }),
          exact,
        )
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(TimTaken);
      expect((refused as TimTaken).tim).toBe(a.tim);
      // the refusal kept nothing: no reply, no number used
      expect((await s.posts.getThread("b", op.no))?.replyCount).toBe(1);
      await expect(
        s.posts.createThread("b", newPost({ file: newFile({ tim: later.file!.tim }) }), exact),
      ).rejects.toBeInstanceOf(TimTaken);

      const reply = await s.posts.createReply(
        "b",
        op.no,
        newPost({ file: newFile({ tim: first }), extraFiles: [newFile({ tim: first + 1 })] }),
        exact,
      );
      expect(reply.no).toBe(later.no + 1);
      expect([reply.file!.tim, reply.extraFiles[0]!.tim]).toEqual([first, first + 1]);
      expect(await s.posts.getPost("b", reply.no)).toEqual(reply);
      expect((await s.posts.findFileByTim("b", first + 1))?.sha256).toBe(reply.extraFiles[0]!.sha256);
    });

    it("keeps a video's duration on the first file and the further ones, and none on an image", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const video = (duration: number) => newFile({ mime: "video/webm", ext: ".webm", duration });
      const [a, b, c] = [video(5.04), newFile(), video(12)];
      const { post } = await s.posts.createThread("b", newPost({ file: a, extraFiles: [b, c] }), ROOMY);
      const read = await s.posts.getPost("b", post.no);
      expect(read?.file?.duration).toBe(5.04);
      expect(read?.extraFiles.map((f) => f.duration)).toEqual([undefined, 12]);
      expect(read?.extraFiles[0]).not.toHaveProperty("duration");
      expect((await s.posts.findFileByTim("b", post.file!.tim))?.duration).toBe(5.04);
      // the next file moves up with its own duration
      const moved = await s.posts.deleteFile("b", post.no, post.file!.tim);
      expect(moved.post?.file).not.toHaveProperty("duration");
      const gone = await s.posts.deleteFile("b", post.no, moved.post!.file!.tim);
      expect(gone.post?.file?.duration).toBe(12);
      expect((await s.posts.getPost("b", post.no))?.file?.duration).toBe(12);
    });

    it("refuses extra files without a first one, writing nothing", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      await expect(s.posts.createThread("b", newPost({ extraFiles: [newFile()] }), ROOMY)).rejects.toMatchObject({
        kind: "invalid",
      });
      expect(await s.posts.countPosts()).toBe(0);
    });

    it("deletes one file: the next moves up, the post keeps the rest and is not marked", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const { post: op } = await s.posts.createThread("b", newPost(), ROOMY);
      const reply = await s.posts.createReply(
        "b",
        op.no,
        newPost({ file: newFile(), extraFiles: [newFile(), newFile()] }),
        ROOMY,
      );
      const [first, second, third] = [reply.file!, ...reply.extraFiles];

      const one = await s.posts.deleteFile("b", reply.no, first.tim);
      expect(one.removed).toEqual([first]);
      expect(one.orphans).toEqual([first.sha256, first.thumbSha256].sort());
      expect(one.post).toMatchObject({ file: second, extraFiles: [third], fileDeleted: false });
      expect(await s.posts.getPost("b", reply.no)).toEqual(one.post);
      expect(await s.posts.findFileByTim("b", first.tim)).toBeNull();
      expect(await s.posts.findFileByTim("b", third!.tim)).toEqual(third);
      expect((await s.posts.getThread("b", op.no))?.imageCount).toBe(1);

      const missing = await s.posts.deleteFile("b", reply.no, first.tim);
      expect(missing).toMatchObject({ file: null, removed: [] });

      const rest = await s.posts.deleteFile("b", reply.no);
      expect(rest.removed).toEqual([second, third]);
      expect(rest.post).toMatchObject({ file: null, extraFiles: [], fileDeleted: true });
      expect(await s.posts.findFileByTim("b", third!.tim)).toBeNull();
      expect((await s.posts.getThread("b", op.no))?.imageCount).toBe(0);
      expect((await s.posts.referencedMedia()).has(third!.sha256)).toBe(false);
    });

    it("reports an extra file's blobs as orphans only when no other post holds them", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const shared = newFile();
      const { post: op } = await s.posts.createThread("b", newPost({ file: newFile(), extraFiles: [shared] }), ROOMY);
      const reply = await s.posts.createReply(
        "b",
        op.no,
        newPost({ file: newFile(), extraFiles: [newFile({ sha256: shared.sha256, thumbSha256: shared.thumbSha256 })] }),
        ROOMY,
      );
      const { orphans } = await s.posts.deletePost("b", reply.no);
      expect(orphans).toEqual([reply.file!.sha256, reply.file!.thumbSha256].sort());
      const all = await s.posts.deletePost("b", op.no);
      expect(all.orphans).toEqual([op.file!.sha256, op.file!.thumbSha256, shared.sha256, shared.thumbSha256].sort());
      expect(await s.posts.findFileByTim("b", op.extraFiles[0]!.tim)).toBeNull();
    });

    it("walks every post's files in pages, by board then number, archived threads and all boards included", async () => {
      const s = store();
      for (const uri of ["b", "a"]) await s.boards.create(newBoard(uri));
      const { post: bOp } = await s.posts.createThread(
        "b",
        newPost({ file: newFile(), extraFiles: [newFile()] }),
        ROOMY,
      );
      await s.posts.createReply("b", bOp.no, newPost(), ROOMY); // no file: not listed
      const bReply = await s.posts.createReply("b", bOp.no, newPost({ file: newFile() }), ROOMY);
      const { post: aOp } = await s.posts.createThread("a", newPost({ file: newFile() }), ROOMY);
      await s.posts.setThreadFlags("a", aOp.no, { archived: true });
      const gone = await s.posts.createReply("b", bOp.no, newPost({ file: newFile() }), ROOMY);
      await s.posts.deleteFile("b", gone.no);

      const first = await s.posts.filesAfter(null, 2);
      expect(first).toEqual([
        { board: "a", no: aOp.no, files: [aOp.file] },
        { board: "b", no: bOp.no, files: [bOp.file, ...bOp.extraFiles] },
      ]);
      const rest = await s.posts.filesAfter(first[1]!, 2);
      expect(rest).toEqual([{ board: "b", no: bReply.no, files: [bReply.file] }]);
      expect(await s.posts.filesAfter(rest[0]!, 2)).toEqual([]);
      expect(await s.posts.filesAfter({ board: "a", no: aOp.no }, 10)).toHaveLength(2);
      expect(await s.posts.filesAfter(null, 0)).toEqual([]);
    });
  });
}
