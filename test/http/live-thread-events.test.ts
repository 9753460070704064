import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EventStream, openEventStream, type StreamEvent } from "../support/event-stream.js";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";

const TOKEN = "a".repeat(32);
const auth = { Authorization: `Bearer ${TOKEN}` };

type Json = Record<string, unknown>;
const data = (e: StreamEvent) => JSON.parse(e.data) as Json;
const isPost = (no: number) => (e: StreamEvent) => e.event === "post" && data(e)["no"] === no;

/*
 * GET /:board/thread/:no/events over real HTTP: replies, deletions and flag changes as they happen,
 * resumption with Last-Event-ID, and only what the thread JSON shows.
 */
describe("live thread event stream", () => {
  let t: TestInstance;
  const streams: EventStream[] = [];
  const open = async (path: string, headers: Record<string, string> = {}) => {
    const s = await openEventStream(`${t.url}${path}`, headers);
    streams.push(s);
    return s;
  };
  const reply = async (thread: number, com: string) => {
    const res = await request(t.app).post(`/api/v1/boards/b/threads/${thread}/replies`).field("com", com);
    expect(res.status).toBe(201);
    return res.body.no as number;
  };
  const thread = async (com: string) => {
    const res = await request(t.app).post("/api/v1/boards/b/threads").field("com", com);
    expect(res.status).toBe(201);
    return res.body.no as number;
  };

  beforeAll(async () => {
    t = await startTestInstance({ ADMIN_TOKEN: TOKEN, LIVE_STREAMS_PER_ADDRESS: "6" }, { listen: true });
    await t.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await t.stop();
  });

  it("sends a reply as a `post` event with the thread JSON's post and its number as id", async () => {
    const op = await thread("live op");
    const s = await open(`/b/thread/${op}/events`);
    expect(s.status).toBe(200);
    expect(s.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    expect(s.headers["cache-control"]).toContain("no-cache");
    expect(s.headers["x-accel-buffering"]).toBe("no");
    expect(s.headers["content-encoding"]).toBeUndefined();
    const no = await reply(op, `>>${op}\nhello live`);
    const e = await s.next("the reply", isPost(no));
    expect(e.id).toBe(String(no));
    expect(s.retry).toBe(3000);
    const json = (await request(t.app).get(`/b/thread/${op}.json`)).body as { posts: Json[] };
    expect(data(e)).toEqual(json.posts.find((p) => p["no"] === no));
    // The OP's reply count moved, but nothing of the OP itself changed: no `update` for it.
    expect(s.events.map((x) => x.event)).toEqual(["post"]);
  });

  it("sends a staff deletion as `delete`, a deleted file as `update`, sticky and lock as `thread`", async () => {
    const op = await thread("staff op");
    const gone = await reply(op, "to be deleted");
    const pic = await request(t.app)
      .post(`/api/v1/boards/b/threads/${op}/replies`)
      .field("com", "with a file")
      .attach("file", await makeJpeg(40, 30), "pic.jpg");
    expect(pic.status).toBe(201);
    const s = await open(`/b/thread/${op}/events`);
    const del = await request(t.app).delete(`/api/v1/admin/boards/b/posts/${gone}`).set(auth).send({});
    expect(del.status).toBe(204);
    expect(data(await s.next("the delete", (e) => e.event === "delete"))).toEqual({ no: gone });
    const file = await request(t.app)
      .delete(`/api/v1/admin/boards/b/posts/${pic.body.no}?file_only=1`)
      .set(auth)
      .send({});
    expect(file.status).toBe(204);
    const updated = data(await s.next("the update", (e) => e.event === "update"));
    expect(updated).toMatchObject({ no: pic.body.no, filedeleted: 1 });
    expect(updated["tim"]).toBeUndefined();
    const flags = await request(t.app)
      .patch(`/api/v1/admin/boards/b/threads/${op}`)
      .set(auth)
      .send({ sticky: true, locked: true });
    expect(flags.status).toBe(200);
    const ev = await s.next("the thread change", (e) => e.event === "thread");
    expect(data(ev)).toEqual({ no: op, sticky: 1, closed: 1, archived: 0 });
    expect(ev.id).toBeNull();
  });

  it("sends one file of several deleted by staff as an `update` carrying the files left", async () => {
    const op = await thread("files op");
    const pic = await request(t.app)
      .post(`/api/v1/boards/b/threads/${op}/replies`)
      .field("com", "three files")
      .attach("file", await makeJpeg(40, 30), "one.jpg")
      .attach("file", await makeJpeg(50, 30), "two.jpg")
      .attach("file", await makeJpeg(60, 30), "three.jpg");
    expect(pic.status).toBe(201);
    const post = await t.services.store.posts.getPost("b", pic.body.no);
    const second = post!.extraFiles[0]!;
    // From an address of its own: the streams of 127.0.0.1 are counted by the limit test below.
    const s = await openEventStream(`${t.url}/b/thread/${op}/events`, {}, "127.0.0.78");
    streams.push(s);
    const del = await request(t.app)
      .delete(`/api/v1/admin/boards/b/posts/${pic.body.no}?tim=${second.tim}`)
      .set(auth)
      .send({});
    expect(del.status).toBe(204);
    const updated = data(await s.next("the update", (e) => e.event === "update"));
    expect(updated).toMatchObject({ no: pic.body.no, filename: "one", w: 40 });
    expect((updated["extra_files"] as Json[]).map((f) => [f["filename"], f["w"]])).toEqual([["three", 60]]);
  });

  it("resumes after Last-Event-ID (header or query) with the missed posts, each once", async () => {
    const op = await thread("resume op");
    const first = await reply(op, "one");
    const s1 = await open(`/b/thread/${op}/events`);
    const second = await reply(op, "two");
    await s1.next("the second reply", isPost(second));
    s1.close();
    const missed = [await reply(op, "three"), await reply(op, "four")];
    const s2 = await open(`/b/thread/${op}/events`, { "Last-Event-ID": String(second) });
    await s2.next("the last missed reply", isPost(missed[1]!));
    const fifth = await reply(op, "five");
    await s2.next("the live reply after resuming", isPost(fifth));
    const nos = s2.events.filter((e) => e.event === "post").map((e) => data(e)["no"]);
    expect(nos).toEqual([...missed, fifth]);
    const s3 = await open(`/b/thread/${op}/events?last_event_id=${first}`);
    await s3.next("the backlog", isPost(fifth));
    expect(s3.events.map((e) => Number(e.id))).toEqual([second, ...missed, fifth]);
  });

  it("answers 404 for an unknown thread or board", async () => {
    const s = await open("/b/thread/999999/events");
    expect(s.status).toBe(404);
    const j = await request(t.app).get("/b/thread/999999/events").set("Accept", "application/json");
    expect(j.status).toBe(404);
    expect(j.headers["content-type"]).toContain("application/problem+json");
    expect((await request(t.app).get("/nosuch/thread/1/events")).status).toBe(404);
  });

  it("never sends a post held for moderation", async () => {
    const f = await request(t.app).post("/api/v1/admin/filters").set(auth).send({ pattern: "holdme", action: "hold" });
    expect(f.status).toBe(201);
    const op = await thread("held op");
    const s = await open(`/b/thread/${op}/events`);
    const held = await request(t.app).post(`/api/v1/boards/b/threads/${op}/replies`).field("com", "please holdme");
    expect(held.status).toBe(202);
    const after = await reply(op, "shown");
    await s.next("the shown reply", isPost(after));
    expect(s.text()).not.toContain("holdme");
    expect(s.events).toHaveLength(1);
  });

  it("refuses streams beyond the per-address limit with 429", async () => {
    const op = await thread("limit op");
    const from = async () => {
      const s = await openEventStream(`${t.url}/b/thread/${op}/events`, {}, "127.0.0.77");
      streams.push(s);
      return s;
    };
    const mine = await Promise.all(Array.from({ length: 8 }, from));
    expect(mine.map((s) => s.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
    // Another address is not held back by this one.
    expect((await open(`/b/thread/${op}/events`)).status).toBe(200);
    // One closed makes room again.
    mine.find((s) => s.status === 200)?.close();
    await expect.poll(async () => (await from()).status, { timeout: 10_000 }).toBe(200);
  });

  it("ends the streams on shutdown", async () => {
    const other = await startTestInstance({}, { listen: true });
    await other.services.boards.create({ uri: "b", title: "B", settings: { requireImageForThread: false } });
    const op = (await other.services.posting.createThread({ board: "b", comment: "x", ip: "192.0.2.9" })).no;
    const s = await openEventStream(`${other.url}/b/thread/${op}/events`);
    expect(s.status).toBe(200);
    await other.stop();
    expect(s.ended()).toBe(true);
  });
});
