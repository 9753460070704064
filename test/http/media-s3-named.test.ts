import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InboxRetryWorker } from "../../federation/inbox/retry-worker.js";
import { s3Client } from "../../storage/media/s3-media-store.js";
import { newFile, newPost, ROOMY } from "../contract/factories.js";
import { FakePeer, postSigned } from "../support/fake-peer.js";
import { freePort } from "../support/fedify-peer.js";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";
import { startS3, type TestS3 } from "../support/s3-server.js";

/*
 * MEDIA_URL pointing straight at the bucket: pages link {MEDIA_URL}/{board}/{tim}{ext} and
 * {tim}s.jpg, so those objects must exist as soon as a post can be seen, and go when it goes.
 */

interface JsonPost {
  no: number;
  tim?: number;
  ext?: string;
}

const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
const AS = "https://www.w3.org/ns/activitystreams";

describe("MEDIA_URL at the bucket (MEDIA_STORE=s3)", () => {
  let s3: TestS3;
  let t: TestInstance;
  let mediaUrl: string;
  let now = Date.now();

  beforeAll(async () => {
    s3 = await startS3();
    mediaUrl = `${s3.settings.endpoint}/${s3.settings.bucket}`;
    const port = await freePort("127.0.0.1");
    t = await startTestInstance(
      {
        ...s3.env,
        MEDIA_URL: mediaUrl,
        ALLOW_PRIVATE_ADDRESSES: "on",
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        PORT: String(port),
      },
      { listen: true, clock: () => now },
    );
    for (const uri of ["b", "c"]) {
      await t.services.boards.create({ uri, title: uri, settings: { maxFiles: 4 } });
    }
  });
  afterAll(async () => {
    await t?.stop();
    await s3?.remove();
  });

  /** What a browser given the page's link gets from the bucket itself. */
  const fromBucket = (name: string) => fetch(`${mediaUrl}/${name}`);

  async function post(board: string, thread: number | null, seed: number, password = "") {
    const path =
      thread === null ? `/api/v1/boards/${board}/threads` : `/api/v1/boards/${board}/threads/${thread}/replies`;
    const res = await request(t.app)
      .post(path)
      .field("com", `post ${seed}`)
      .field("password", password)
      .attach("file", await makeJpeg(64 + seed, 48), { filename: "a.jpg", contentType: "image/jpeg" });
    expect(res.status).toBe(201);
    return res.body as { no: number };
  }

  async function threadPosts(board: string, no: number): Promise<JsonPost[]> {
    const res = await request(t.app).get(`/${board}/thread/${no}.json`);
    expect(res.status).toBe(200);
    return res.body.posts as JsonPost[];
  }

  /** Every key under `board/` in the bucket. */
  async function keysOf(board: string): Promise<string[]> {
    const client = s3Client(s3.settings);
    try {
      const got = await client.send(new ListObjectsV2Command({ Bucket: s3.settings.bucket, Prefix: `${board}/` }));
      return (got.Contents ?? []).map((o) => o.Key ?? "").sort();
    } finally {
      client.destroy();
    }
  }

  const namesOf = (board: string, posts: JsonPost[]) =>
    posts.filter((p) => p.tim !== undefined).flatMap((p) => [`${board}/${p.tim}${p.ext}`, `${board}/${p.tim}s.jpg`]);

  it("makes a post's file and thumbnail readable from the bucket before any reader sees the post", async () => {
    const op = await post("b", null, 1);
    // The names are copied before the post is stored, and the store is the only place readers learn
    // a post from: so a reader polling the thread while replies are made finds, for every post it
    // sees, both names already there. Checked here on every poll, not only after each 201.
    const missing: string[] = [];
    let polling = true;
    const reader = (async () => {
      let polls = 0;
      while (polling || polls === 0) {
        polls++;
        for (const name of namesOf("b", await threadPosts("b", op.no))) {
          if ((await fromBucket(name)).status !== 200) missing.push(name);
        }
      }
      return polls;
    })();
    for (let i = 2; i <= 4; i++) await post("b", op.no, i);
    polling = false;
    expect(await reader).toBeGreaterThan(0);
    expect(missing).toEqual([]);

    const posts = await threadPosts("b", op.no);
    expect(posts).toHaveLength(4);
    for (const p of posts) {
      const file = await t.services.store.posts.findFileByTim("b", p.tim!);
      const original = await fromBucket(`b/${p.tim}.jpg`);
      expect(original.status).toBe(200);
      expect(original.headers.get("content-type")).toBe("image/jpeg");
      expect(original.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(Number(original.headers.get("content-length"))).toBe(file!.size);
      const thumb = await fromBucket(`b/${p.tim}s.jpg`);
      expect(thumb.status).toBe(200);
      expect(thumb.headers.get("content-type")).toBe("image/jpeg");
    }
    // the page links the bucket
    const page = await request(t.app).get(`/b/thread/${op.no}`);
    expect(page.text).toContain(`${mediaUrl}/b/${posts[1]!.tim}.jpg`);
  });

  it("removes the names with the file, and with the post", async () => {
    const op = await post("b", null, 5);
    const reply = await post("b", op.no, 6, "hunter22");
    const [, mine] = await threadPosts("b", op.no);
    const names = namesOf("b", [mine!]);
    for (const n of names) expect((await fromBucket(n)).status).toBe(200);

    const fileGone = await request(t.app)
      .delete(`/api/v1/boards/b/posts/${reply.no}`)
      .send({ password: "hunter22", file_only: true });
    expect(fileGone.status).toBeLessThan(300);
    for (const n of names) expect((await fromBucket(n)).status).toBe(404);

    const opNames = namesOf("b", (await threadPosts("b", op.no)).slice(0, 1));
    await t.services.posting.deleteRemote("b", op.no);
    for (const n of opNames) expect((await fromBucket(n)).status).toBe(404);
  });

  it("removes a deleted board's names, and keeps the other boards'", async () => {
    await t.services.boards.create({ uri: "d", title: "d" });
    const op = await post("d", null, 12);
    await post("d", op.no, 13);
    expect(await keysOf("d")).toHaveLength(4);
    const others = await keysOf("b");
    expect(others.length).toBeGreaterThan(0);
    await t.services.boards.delete("d");
    expect(await keysOf("d")).toEqual([]);
    expect(await keysOf("b")).toEqual(others);
  });

  it("ends with the right names for every post when file ids collide", async () => {
    // A file id far ahead is already taken, and the posts below race each other: each asks for an id
    // the board gave out (the test clock stands still), so each must be published under ids reserved
    // past it, never over another post's names.
    const ahead = now + 3_600_000;
    await t.services.store.posts.createThread("c", newPost({ file: newFile({ tim: ahead }) }), ROOMY);
    const op = await post("c", null, 7);
    await Promise.all([post("c", op.no, 8), post("c", op.no, 9), post("c", op.no, 10)]);
    const posts = await threadPosts("c", op.no);
    expect(posts).toHaveLength(4);
    expect(posts.every((p) => p.tim! > ahead)).toBe(true);
    expect(new Set(posts.map((p) => p.tim)).size).toBe(4);
    // exactly the live posts' names: the copies made for refused ids were removed
    expect(await keysOf("c")).toEqual(namesOf("c", posts).sort());
    for (const name of namesOf("c", posts)) {
      expect((await fromBucket(name)).headers.get("content-type")).toBe("image/jpeg");
    }
  });

  it("keeps a federated post whose media cannot be stored while the bucket is down, and posts it once it is back", async () => {
    const peer = await FakePeer.start("127.0.0.2");
    try {
      const alice = peer.actor("alice");
      const op = await post("b", null, 11);
      const images = [`${peer.url}/media/one.jpg`, `${peer.url}/media/two.jpg`];
      peer.serve("/media/one.jpg", await makeJpeg(120, 90), { type: "image/jpeg" });
      peer.serve("/media/two.jpg", await makeJpeg(90, 120), { type: "image/jpeg" });
      const note = {
        id: `${peer.url}/notes/1`,
        type: "Note",
        attributedTo: alice.id,
        inReplyTo: `${t.url}/b/thread/${op.no}`,
        to: [PUBLIC],
        cc: [`${t.url}/ap/anonymous`],
        content: "<p>two pictures</p>",
        attachment: images.map((url) => ({ type: "Document", mediaType: "image/jpeg", url })),
      };
      const activity = {
        "@context": AS,
        id: `${peer.url}/activities/1`,
        type: "Create",
        actor: alice.id,
        to: [PUBLIC],
        object: note,
      };

      await s3.stop();
      const res = await postSigned(`${t.url}/ap/inbox`, activity, alice, { now: new Date(now) });
      // The media store's failure is ours, not the peer's: the activity is kept in the inbox's retry
      // queue (the peer's own retry would do too), never answered as taken and then dropped.
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ type: "urn:atoll:inbox:deferred" });
      expect(await t.services.store.federation.inboundRetries.countPending()).toBe(1);
      expect(await t.services.store.federation.remotePosts.get(note.id)).toBeNull();

      await s3.restart();
      const federation = t.federation;
      if (!federation?.inbox) throw new Error("federation is off");
      const retries = new InboxRetryWorker(t.services, federation.inbox, { clock: () => now, random: () => 0.5 });
      now += 31_000;
      expect(await retries.runOnce()).toBe(1);
      expect(await t.services.store.federation.inboundRetries.countPending()).toBe(0);
      const ref = await t.services.store.federation.remotePosts.get(note.id);
      const stored = await t.services.store.posts.getPost(ref!.board, ref!.no);
      expect(stored?.extraFiles).toHaveLength(1);
      for (const f of [stored!.file!, ...stored!.extraFiles]) {
        const got = await fromBucket(`b/${f.tim}.jpg`);
        expect(got.status).toBe(200);
        expect(got.headers.get("content-type")).toBe("image/jpeg");
        expect((await fromBucket(`b/${f.tim}s.jpg`)).status).toBe(200);
      }
    } finally {
      await peer.close();
    }
  });
});
