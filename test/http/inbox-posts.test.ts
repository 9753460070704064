import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeActor, type FakePeer, postSigned } from "../support/fake-peer.js";
import { AS, InboxScene, type Json } from "../support/inbox-scene.js";
import type { TestInstance } from "../support/instance.js";

/* Posts through the inbox: replies and threads taken, edited and deleted by their authors only. */

describe("inbox over HTTP", () => {
  const scene = new InboxScene();
  const { fresh, thread, postByApId, note, create, send } = scene;
  let t: TestInstance;
  let peer: FakePeer;
  let alice: FakeActor;
  let mallory: FakeActor;
  let op: number;
  let boardId: string;

  beforeAll(async () => {
    await scene.start();
    ({ t, peer, alice, mallory, op, boardId } = scene);
    // The first reply is announced to the board's followers: alice follows /b/ before it arrives.
    const follow = { "@context": AS, id: fresh("follows"), type: "Follow", actor: alice.id, object: boardId };
    const followed = await send(follow, alice);
    if (followed.status !== 202) throw new Error(`alice's follow of /b/ was refused: ${followed.status}`);
  });
  afterAll(() => scene.stop());

  describe("posts", () => {
    let replyNote: Json;

    it("takes a reply into a local thread, with the author's handle, its image thumbnailed and its HTML sanitized", async () => {
      replyNote = note(alice, {
        inReplyTo: `${t.url}/b/thread/${op}`,
        content:
          '<p>Hello <b>world</b> &amp; friends</p><script>alert(1)</script><p><a href="javascript:alert(1)">bad</a> <a href="https://example.org/x" onclick="x()">good</a><img src="https://example.org/i.png"></p>',
        attachment: [{ type: "Document", mediaType: "image/jpeg", url: `${peer.url}/media/cat.jpg`, name: "a cat" }],
      });
      const res = await send(create(alice, replyNote), alice);
      expect(res.status).toBe(202);
      expect(res.body["title"]).toBe("Accepted");

      const posts = await thread(op);
      const reply = posts.find((p) => p["ap_id"] === replyNote["id"]);
      expect(reply).toMatchObject({
        resto: op,
        name: `alice@${new URL(peer.url).host}`,
        fedi_actor: alice.id,
        ext: ".jpg",
        w: 320,
        h: 200,
      });
      expect(reply!["tn_w"]).toBeGreaterThan(0);
      const com = String(reply!["com"]);
      // Rendered as a local comment is: the sender's markup reduced to text, links kept as links.
      expect(com).toBe(
        'Hello world &amp; friends<br><br>bad good (<a href="https://example.org/x" rel="nofollow noopener noreferrer ugc" target="_blank">https://example.org/x</a>)',
      );
      const stored = await t.services.store.posts.getPost("b", Number(reply!["no"]));
      expect(stored?.comment).toContain("Hello world & friends");
      expect(stored?.ipHash).toBeNull();
      const thumb = await request(t.app).get(`/media/b/${reply!["tim"]}s.jpg`);
      expect(thumb.status).toBe(200);
      expect(thumb.headers["content-type"]).toBe("image/jpeg");
    });

    it("announces the accepted reply to the board's followers", async () => {
      const announce = await peer.waitFor(
        (r) =>
          r.path === "/inbox" &&
          r.body["type"] === "Announce" &&
          JSON.stringify(r.body).includes(String(replyNote["id"])),
      );
      expect(announce.body["actor"]).toBe(boardId);
    });

    it("keeps the post and drops an attachment that is not an image", async () => {
      const n = note(alice, {
        inReplyTo: `${t.url}/b/thread/${op}`,
        content: "<p>text stays</p>",
        attachment: [{ type: "Document", mediaType: "image/jpeg", url: `${peer.url}/media/not-an-image.jpg` }],
      });
      const res = await send(create(alice, n), alice);
      expect(res.status).toBe(202);
      const reply = (await thread(op)).find((p) => p["ap_id"] === n["id"]);
      expect(reply?.["com"]).toContain("text stays");
      expect(reply?.["tim"]).toBeUndefined();
    });

    it("starts a thread from a top-level Note that mentions the board, its first line as subject", async () => {
      const n = note(alice, {
        cc: [],
        tag: [{ type: "Mention", href: boardId, name: `@b@${new URL(t.url).host}` }],
        content: `<p><span class="h-card"><a href="${boardId}" class="u-url mention">@<span>b</span></a></span> Hello board</p><p>more text</p>`,
      });
      expect((await send(create(alice, n), alice)).status).toBe(202);
      const ref = await postByApId(String(n["id"]));
      expect(ref?.board).toBe("b");
      const posts = await thread(ref!.no);
      // The mention of the board and the line taken as the subject leave the comment.
      expect(posts[0]).toMatchObject({ no: ref!.no, sub: "Hello board", com: "more text", fedi_actor: alice.id });
    });

    it("takes deliveries at the board's inbox and at the instance actor's", async () => {
      const viaBoard = note(alice, { inReplyTo: `${t.url}/b/thread/${op}` });
      expect((await postSigned(`${t.url}/ap/boards/b/inbox`, create(alice, viaBoard), alice)).status).toBe(202);
      const viaActor = note(alice, { inReplyTo: `${t.url}/b/thread/${op}` });
      expect((await postSigned(`${t.url}/ap/actor/inbox`, create(alice, viaActor), alice)).status).toBe(202);
      expect(await postByApId(String(viaBoard["id"]))).not.toBeNull();
      expect(await postByApId(String(viaActor["id"]))).not.toBeNull();
    });

    it("ignores Notes that are not replies here nor addressed to a board, and private ones", async () => {
      const stray = note(alice, { cc: [], inReplyTo: `${peer.url}/notes/elsewhere` });
      expect((await send(create(alice, stray), alice)).body["title"]).toBe("Ignored");
      const direct = note(alice, { to: [`${t.url}/ap/anonymous`], cc: [], inReplyTo: `${t.url}/b/thread/${op}` });
      expect((await send(create(alice, direct), alice)).body["title"]).toBe("Ignored");
      expect(await postByApId(String(stray["id"]))).toBeNull();
      expect(await postByApId(String(direct["id"]))).toBeNull();
    });

    it("keeps board rules: a thread on a board that needs an image is not made without one", async () => {
      const n = note(alice, { cc: [`${t.url}/ap/boards/pics`], content: "<p>no picture</p>" });
      const res = await send(create(alice, n), alice);
      expect(res.status).toBe(202);
      expect(res.body["title"]).toBe("Rejected");
      expect(await postByApId(String(n["id"]))).toBeNull();
    });

    it("refuses a Create of someone else's Note", async () => {
      const n = note(mallory, { inReplyTo: `${t.url}/b/thread/${op}` });
      // Not believed as embedded (it is not alice's): read from its origin, which names mallory.
      peer.serve(String(n["id"]), n);
      const res = await send(create(alice, n), alice);
      expect(res.status).toBe(403);
      expect(await postByApId(String(n["id"]))).toBeNull();
    });

    it("applies an Update by the author and refuses one by anyone else", async () => {
      const ref = (await postByApId(String(replyNote["id"])))!;
      const forged = {
        id: fresh("update"),
        type: "Update",
        actor: mallory.id,
        object: { ...replyNote, attributedTo: mallory.id, content: "<p>vandalised</p>" },
      };
      expect((await send(forged, mallory)).status).toBe(403);
      const update = {
        id: fresh("update"),
        type: "Update",
        actor: alice.id,
        object: { ...replyNote, content: "<p>edited <em>text</em></p>" },
      };
      expect((await send(update, alice)).status).toBe(202);
      const post = await t.services.store.posts.getPost("b", ref.no);
      expect(post?.comment).toBe("edited text");
      expect(post?.html).toBe("edited text");
      expect(post?.file).not.toBeNull();
    });

    it("takes a new subject from an Update of a thread's opening post, as plain text, and none for a reply", async () => {
      const opNote = note(alice, { name: "First title", content: "<p>first text</p>" });
      expect((await send(create(alice, opNote), alice)).body["title"]).toBe("Accepted");
      const ref = (await postByApId(String(opNote["id"])))!;
      expect((await t.services.store.posts.getPost(ref.board, ref.no))?.subject).toBe("First title");

      const renamed = { ...opNote, name: "A <b>second</b>\n title", content: "<p>second text</p>" };
      const res = await send({ id: fresh("update"), type: "Update", actor: alice.id, object: renamed }, alice);
      expect(res.body["title"]).toBe("Accepted");
      expect(await t.services.store.posts.getPost(ref.board, ref.no)).toMatchObject({
        subject: "A second title",
        comment: "second text",
      });
      const untitled = {
        ...renamed,
        name: undefined,
        content: "<p>@b A first line</p><p>more</p>",
        tag: [{ type: "Mention", href: boardId, name: "@b" }],
      };
      await send({ id: fresh("update"), type: "Update", actor: alice.id, object: untitled }, alice);
      expect((await t.services.store.posts.getPost(ref.board, ref.no))?.subject).toBe("A first line");

      const reply = note(alice, { inReplyTo: `${t.url}/b/thread/${ref.no}` });
      expect((await send(create(alice, reply), alice)).body["title"]).toBe("Accepted");
      const replyRef = (await postByApId(String(reply["id"])))!;
      const named = { ...reply, name: "A reply's name", content: "<p>edited reply</p>" };
      await send({ id: fresh("update"), type: "Update", actor: alice.id, object: named }, alice);
      expect(await t.services.store.posts.getPost(replyRef.board, replyRef.no)).toMatchObject({
        subject: null,
        comment: "edited reply",
      });
    });

    it("applies a Delete by the author, media included, and refuses one by anyone else", async () => {
      const ref = (await postByApId(String(replyNote["id"])))!;
      const file = (await t.services.store.posts.getPost("b", ref.no))!.file!;
      const tombstone = { id: replyNote["id"], type: "Tombstone" };
      expect(
        (await send({ id: fresh("delete"), type: "Delete", actor: mallory.id, object: tombstone }, mallory)).status,
      ).toBe(403);
      expect(await t.services.store.posts.getPost("b", ref.no)).not.toBeNull();
      expect(
        (await send({ id: fresh("delete"), type: "Delete", actor: alice.id, object: tombstone }, alice)).status,
      ).toBe(202);
      expect(await t.services.store.posts.getPost("b", ref.no)).toBeNull();
      expect(await postByApId(String(replyNote["id"]))).toBeNull();
      expect(await t.services.media.has(file.thumbSha256)).toBe(false);
      expect((await thread(op)).some((p) => p["ap_id"] === replyNote["id"])).toBe(false);
    });
  });
});
