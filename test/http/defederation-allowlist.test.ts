import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, createBoard, startAtoll } from "../support/defederation-parties.js";
import { FakePeer, postSigned } from "../support/fake-peer.js";
import type { TestInstance } from "../support/instance.js";

/*
 * An instance in allowlist mode (127.0.0.8) takes a follow from an allowed fake peer (127.0.0.6) and
 * refuses one from any other (127.0.0.7).
 */

describe("allowlist mode", () => {
  let D: TestInstance;
  let friend: FakePeer;
  let stranger: FakePeer;

  beforeAll(async () => {
    [friend, stranger] = await Promise.all([FakePeer.start("127.0.0.6"), FakePeer.start("127.0.0.7")]);
    D = await startAtoll("127.0.0.8", { FEDERATION_MODE: "allowlist" });
    await createBoard(D, "d");
    await D.services.defederation.createAllow({ domain: "127.0.0.6", comment: "" }, CLI);
  });
  afterAll(async () => {
    await Promise.all([D?.stop(), friend?.close(), stranger?.close()]);
  });

  const followOf = (peer: FakePeer, name: string) => {
    const actor = peer.actor(name);
    return {
      actor,
      activity: {
        "@context": "https://www.w3.org/ns/activitystreams",
        id: `${peer.url}/follows/${name}`,
        type: "Follow",
        actor: actor.id,
        object: `${D.url}/ap/boards/d`,
      },
    };
  };

  it("takes a follow from an allowed peer", async () => {
    const { actor, activity } = followOf(friend, "pal");
    const res = await postSigned(`${D.url}/ap/boards/d/inbox`, activity, actor);
    expect(res.status).toBe(202);
    expect((await D.services.store.federation.follows.get(actor.id, `${D.url}/ap/boards/d`))?.state).toBe("accepted");
  });

  // Waits on the inbound refusal of the enforcement work.
  it("refuses an unknown peer with 403, fetching nothing from it", async () => {
    const { actor, activity } = followOf(stranger, "who");
    const res = await postSigned(`${D.url}/ap/boards/d/inbox`, activity, actor);
    expect(res.status).toBe(403);
    expect(stranger.fetched).toEqual([]);
    expect(await D.services.store.federation.follows.get(actor.id, `${D.url}/ap/boards/d`)).toBeNull();
  });
});
