import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeActor, FakePeer, postSigned } from "../support/fake-peer.js";
import { freePort } from "../support/fedify-peer.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

type Json = Record<string, unknown>;

/*
 * A reply whose missing parents lead to a new thread by a host on probation: the chain does not
 * start the thread a top-level post could not start directly. Hand-driven peers on their own
 * loopback addresses: a new one (127.0.0.6) and one known from before (127.0.0.7).
 */

const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
const AS = "https://www.w3.org/ns/activitystreams";

describe("probation and reply chains", () => {
  let t: TestInstance;
  let fresh: FakePeer;
  let known: FakePeer;
  let alice: FakeActor;
  let bob: FakeActor;
  let board: string;
  let inbox: string;
  let seq = 0;

  const note = (author: FakeActor, on: FakePeer, extra: Json): Json => ({
    id: `${on.url}/notes/${++seq}`,
    type: "Note",
    attributedTo: author.id,
    to: [PUBLIC],
    cc: [board],
    content: `<p>note ${seq}</p>`,
    ...extra,
  });
  const create = (author: FakeActor, on: FakePeer, object: Json): Json => ({
    "@context": AS,
    id: `${on.url}/activities/${++seq}`,
    type: "Create",
    actor: author.id,
    to: [PUBLIC],
    object,
  });
  const posted = async (apId: string) => {
    const ref = await t.services.store.federation.remotePosts.get(apId);
    return ref ? t.services.store.posts.getPost(ref.board, ref.no) : null;
  };

  beforeAll(async () => {
    const port = await freePort("127.0.0.5");
    t = await startTestInstance(
      {
        ALLOW_PRIVATE_ADDRESSES: "on",
        PUBLIC_URL: `http://127.0.0.5:${port}`,
        PORT: String(port),
        HOST: "127.0.0.5",
        PEER_PROBATION_DAYS: "7",
      },
      { listen: true },
    );
    await t.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
    board = `${t.url}/ap/boards/b`;
    inbox = `${t.url}/ap/inbox`;
    fresh = await FakePeer.start("127.0.0.6");
    known = await FakePeer.start("127.0.0.7");
    alice = fresh.actor("alice");
    bob = known.actor("bob");
    await t.services.probation.vouch("127.0.0.7", { kind: "cli", id: "" });
  });
  afterAll(async () => {
    await t?.stop();
    await fresh?.close();
    await known?.close();
  });

  it("does not start a thread from a new host's root through a reply, until it is vouched for", async () => {
    const root = note(alice, fresh, {});
    fresh.serve(new URL(String(root["id"])).pathname, root);
    // Replied to by a known peer: the missing root is fetched, and would become a new thread.
    const reply = note(bob, known, { inReplyTo: root["id"] });
    const res = await postSigned(inbox, create(bob, known, reply), bob);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ type: "urn:atoll:inbox:ignored" });
    expect(await posted(String(root["id"]))).toBeNull();
    expect(await posted(String(reply["id"]))).toBeNull();
    expect(await t.services.probation.onProbation("127.0.0.6")).toBe(true);

    await t.services.probation.vouch("127.0.0.6", { kind: "cli", id: "" });
    const again = note(bob, known, { inReplyTo: root["id"] });
    const ok = await postSigned(inbox, create(bob, known, again), bob);
    expect(ok.body).toMatchObject({ type: "urn:atoll:inbox:accepted" });
    const op = await posted(String(root["id"]));
    expect(op?.no).toBe(op?.threadNo);
    expect((await posted(String(again["id"])))?.threadNo).toBe(op?.no);
  });
});
