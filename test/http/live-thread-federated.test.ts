import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EventStream, openEventStream } from "../support/event-stream.js";
import { type FedifyPeer, fedifyPeerUnavailable, freePort, startFedifyPeer } from "../support/fedify-peer.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

const unavailable = fedifyPeerUnavailable();

/*
 * A reply from another implementation (the Fedify peer, a signed Create(Note) to the board's inbox)
 * takes the inbound path, not the posting API: it must reach an open event stream all the same.
 */
describe.skipIf(unavailable !== null)(
  `live thread streams carry federated replies${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    let t: TestInstance;
    let peer: FedifyPeer;
    let base: string;
    let s: EventStream | undefined;

    beforeAll(async () => {
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      t = await startTestInstance(
        { PORT: String(port), PUBLIC_URL: base, ALLOW_PRIVATE_ADDRESSES: "on" },
        { listen: true },
      );
      await t.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
      peer = await startFedifyPeer();
    }, 120_000);
    afterAll(async () => {
      s?.close();
      await peer?.stop();
      await t?.stop();
    });

    it("sends the peer's reply as a `post` event, as the thread JSON shows it", async () => {
      const op = (await t.services.posting.createThread({ board: "b", comment: "ask the fediverse", ip: "192.0.2.9" }))
        .no;
      s = await openEventStream(`${base}/b/thread/${op}/events`);
      expect(s.status).toBe(200);
      const sent = await peer.control<{ ok: boolean; id: string }>("/control/note", {
        to: `${base}/ap/boards/b`,
        inReplyTo: `${base}/b/thread/${op}`,
        content: "<p>an answer from fedify</p>",
      });
      expect(sent.ok).toBe(true);
      const e = await s.next("the federated reply", (x) => x.event === "post");
      const post = JSON.parse(e.data) as Record<string, unknown>;
      expect(post).toMatchObject({ resto: op, ap_id: sent.id, fedi_actor: peer.actor });
      expect(String(post["com"])).toContain("an answer from fedify");
      expect(e.id).toBe(String(post["no"]));
      const json = (await (await fetch(`${base}/b/thread/${op}.json`)).json()) as {
        posts: Array<Record<string, unknown>>;
      };
      expect(post).toEqual(json.posts.find((p) => p["no"] === post["no"]));
      // Exactly one event for it: a later local reply comes next, with nothing sent twice between.
      const local = await t.services.posting.createReply({
        board: "b",
        threadNo: op,
        comment: "local",
        ip: "192.0.2.10",
      });
      await s.next("the local reply", (x) => x.event === "post" && x.id === String(local.no));
      expect(s.events.filter((x) => x.event === "post").map((x) => x.id)).toEqual([e.id, String(local.no)]);
    });
  },
);
