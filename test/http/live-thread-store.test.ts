import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EventStream, openEventStream } from "../support/event-stream.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

/*
 * Two instances on one SQLite file, each with its own events (as two processes have): a reply made
 * through one reaches a stream open on the other, found by the poll of the thread's store version.
 */
describe("live thread streams across instances sharing a store", () => {
  let a: TestInstance;
  let b: TestInstance;
  let s: EventStream | undefined;

  beforeAll(async () => {
    a = await startTestInstance({}, { listen: true });
    await a.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
    b = await startTestInstance({ HOST: "127.0.0.43" }, { listen: true, dataDir: a.dataDir });
  });
  afterAll(async () => {
    s?.close();
    await b?.stop();
    await a?.stop();
  });

  it("sends a reply made by the other instance", async () => {
    const op = (await a.services.posting.createThread({ board: "b", comment: "shared", ip: "192.0.2.7" })).no;
    s = await openEventStream(`${b.url}/b/thread/${op}/events`);
    expect(s.status).toBe(200);
    const reply = await a.services.posting.createReply({
      board: "b",
      threadNo: op,
      comment: "from a",
      ip: "192.0.2.8",
    });
    const e = await s.next("the reply from the other instance", (x) => x.event === "post");
    expect(JSON.parse(e.data)).toMatchObject({ no: reply.no, resto: op });
    expect(e.id).toBe(String(reply.no));
  });
});
