import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeActor } from "../support/fake-peer.js";
import { InboxScene } from "../support/inbox-scene.js";

/*
 * What bad signatures and gone actors cost the servers they name, counted as fetches on a real peer
 * on loopback: a failed signature fetches the key's owner again at most once a minute, and an actor
 * found gone is not asked for again for a while.
 */

let offset = 0;
const scene = new InboxScene({ clock: () => Date.now() + offset });
const now = () => new Date(Date.now() + offset);

describe("key refetches and gone actors", () => {
  beforeAll(() => scene.start());
  afterAll(() => scene.stop());

  const fetchesOf = (actor: FakeActor) => scene.peer.fetched.filter((p) => p === new URL(actor.id).pathname).length;

  it("fetches a key's owner again at most once a minute however many signatures fail", async () => {
    const { alice, mallory } = scene;
    const good = scene.create(alice, scene.note(alice, { inReplyTo: `${scene.t.url}/b/thread/${scene.op}` }));
    expect((await scene.send(good, alice, { now: now() })).status).toBe(202);
    const before = fetchesOf(alice);
    expect(before).toBe(1);
    // Signed with another key under alice's key id: the signature fails against the cached key.
    const impostor = { ...alice, privateKeyPem: mallory.privateKeyPem };
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const forged = scene.create(alice, scene.note(alice));
      statuses.push((await scene.send(forged, impostor, { now: now() })).status);
    }
    expect(new Set(statuses)).toEqual(new Set([401]));
    expect(fetchesOf(alice) - before).toBe(1);
    // A minute on, the key may be fetched again (once more).
    offset += 61_000;
    for (let i = 0; i < 5; i++) await scene.send(scene.create(alice, scene.note(alice)), impostor, { now: now() });
    expect(fetchesOf(alice) - before).toBe(2);
    // The real key still verifies throughout.
    const later = scene.create(alice, scene.note(alice, { inReplyTo: `${scene.t.url}/b/thread/${scene.op}` }));
    expect((await scene.send(later, alice, { now: now() })).status).toBe(202);
  });

  it("answers six Deletes of an actor whose key is gone with one fetch", async () => {
    const { peer } = scene;
    const gone = peer.actor("gone");
    // No longer served: the peer answers 404 for it, as for a deleted account.
    peer.docs.delete(new URL(gone.id).pathname);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const del = { "@context": "https://www.w3.org/ns/activitystreams", id: scene.fresh("delete"), type: "Delete" };
      const res = await scene.send({ ...del, actor: gone.id, object: gone.id }, gone, { now: now() });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([202, 202, 202, 202, 202, 202]);
    expect(fetchesOf(gone)).toBe(1);
    // Ten minutes on, it is asked again, once.
    offset += 10 * 60_000 + 1000;
    for (let i = 0; i < 3; i++) {
      const del = { id: scene.fresh("delete"), type: "Delete", actor: gone.id, object: gone.id };
      await scene.send({ "@context": "https://www.w3.org/ns/activitystreams", ...del }, gone, { now: now() });
    }
    expect(fetchesOf(gone)).toBe(2);
  });
});
