import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GuardedFetch } from "../../federation/http/guarded-fetch.js";
import { handleOf, RemoteActors } from "../../federation/remote/actors.js";
import { RemoteError } from "../../federation/remote/errors.js";
import { type SignedGetter, sameOrigin } from "../../federation/remote/fetch.js";
import { RemoteObjects } from "../../federation/remote/objects.js";
import type { Store } from "../../server/domain/ports.js";
import { openSqliteStore } from "../../storage/sqlite/store.js";
import { FakePeer } from "../support/fake-peer.js";

/** The guarded client, unsigned: the fake peer does not ask for signatures. */
function getter(): SignedGetter {
  const http = new GuardedFetch({ allowPrivateAddresses: true, userAgent: "test" });
  return { signedGet: (url, opts = {}) => http.request(url, { accept: "application/activity+json", ...opts }) };
}

async function refusal(work: Promise<unknown>): Promise<RemoteError> {
  const err = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RemoteError);
  return err as RemoteError;
}

describe("sameOrigin", () => {
  it("compares scheme, host and port as the URL parser does", () => {
    const same: Array<[string, string]> = [
      ["https://a.example/users/x", "https://a.example/notes/1"],
      ["https://a.example:443/users/x", "https://a.example/x"],
      ["http://a.example:80/x", "http://a.example/y"],
      ["https://A.Example/x", "https://a.example/y"],
      ["http://127.0.0.1:8080/x", "http://127.0.0.1:8080/y"],
      ["http://127.1:8080/x", "http://127.0.0.1:8080/y"],
      ["https://a.example:0443/x", "https://a.example/y"],
    ];
    const different: Array<[string, string]> = [
      ["https://a.example/x", "http://a.example/x"],
      ["https://a.example/x", "https://b.example/x"],
      ["https://a.example/x", "https://a.example.evil/x"],
      ["https://a.example:8443/x", "https://a.example/x"],
      ["http://127.0.0.1:8080/x", "http://127.0.0.1:8081/x"],
      ["https://a.example/x", "not a url"],
    ];
    for (const [a, b] of same) {
      expect(sameOrigin(a, b), `${a} ${b}`).toBe(true);
      expect(sameOrigin(b, a), `${b} ${a}`).toBe(true);
    }
    for (const [a, b] of different) {
      expect(sameOrigin(a, b), `${a} ${b}`).toBe(false);
      expect(sameOrigin(b, a), `${b} ${a}`).toBe(false);
    }
  });
});

describe("remote actors and objects", () => {
  const dir = mkdtempSync(join(tmpdir(), "atoll-inbox-remote-"));
  let store: Store;
  let peer: FakePeer;
  let actors: RemoteActors;
  let objects: RemoteObjects;

  beforeAll(async () => {
    store = openSqliteStore(join(dir, "atoll.db"));
    peer = await FakePeer.start();
    actors = new RemoteActors(store.federation.actors, getter(), () => 1_000);
    objects = new RemoteObjects(getter());
  });
  afterAll(async () => {
    await store.close();
    await peer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("fetches an actor by its key id, caches it under its own id, then answers from the cache", async () => {
    const alice = peer.actor("alice");
    const { actor, fromCache } = await actors.forKey(alice.keyId);
    expect(fromCache).toBe(false);
    expect(actor).toMatchObject({
      id: alice.id,
      type: "Person",
      inbox: alice.inbox,
      sharedInbox: `${peer.url}/inbox`,
      preferredUsername: "alice",
      keyId: alice.keyId,
      publicKeyPem: alice.publicKeyPem,
      domain: "127.0.0.1",
      fetchedAt: 1_000,
    });
    expect(await store.federation.actors.getByKeyId(alice.keyId)).toMatchObject({ id: alice.id });
    const fetches = peer.fetched.length;
    expect((await actors.forKey(alice.keyId)).fromCache).toBe(true);
    expect(peer.fetched.length).toBe(fetches);
    expect(handleOf(actor)).toBe(`alice@${new URL(peer.url).host}`);
  });

  it("answers from memory for a minute, drops what it forgets or refetches, and rereads the store after", async () => {
    let now = 50_000;
    const remembering = new RemoteActors(store.federation.actors, getter(), () => now);
    const gina = peer.actor("gina");
    expect((await remembering.forKey(gina.keyId)).fromCache).toBe(false);
    // Gone from the store behind its back (another process): still known here for a while.
    await store.federation.actors.delete(gina.id);
    expect((await remembering.forKey(gina.keyId)).actor.id).toBe(gina.id);
    expect((await remembering.cached(gina.id))?.id).toBe(gina.id);
    now += 60_000;
    expect(await remembering.cached(gina.id)).toBeNull();
    const fetches = peer.fetched.length;
    expect((await remembering.forKey(gina.keyId)).fromCache).toBe(false);
    expect(peer.fetched.length).toBe(fetches + 1);

    // A refetch with a rotated key: the old key no longer names the actor, here or in the store.
    const keyId = `${gina.id}#key-2`;
    peer.serve("/users/gina", {
      ...gina.document,
      publicKey: { id: keyId, owner: gina.id, publicKeyPem: gina.publicKeyPem },
    });
    expect((await remembering.fetchForKey(keyId)).keyId).toBe(keyId);
    expect((await remembering.forKey(keyId)).fromCache).toBe(true);
    await expect(remembering.forKey(gina.keyId)).rejects.toBeInstanceOf(RemoteError);

    await remembering.forget(gina.id);
    expect(await remembering.cached(gina.id)).toBeNull();
    expect(await store.federation.actors.get(gina.id)).toBeNull();
  });

  it("shares one fetch of a new key's owner among requests arriving together", async () => {
    const dora = peer.actor("dora");
    const before = peer.fetched.length;
    const results = await Promise.all(Array.from({ length: 8 }, () => actors.forKey(dora.keyId)));
    expect(results.every((r) => r.actor.id === dora.id)).toBe(true);
    expect(peer.fetched.length - before).toBe(1);
  });

  it("refuses an actor whose id is not the URL it was served from, after redirects too", async () => {
    const bob = peer.actor("bob");
    peer.serve("/users/bob", { ...bob.document, id: `${peer.url}/users/someone` });
    expect((await refusal(actors.forKey(bob.keyId))).kind).toBe("mismatch");
    expect(await store.federation.actors.get(`${peer.url}/users/someone`)).toBeNull();

    // A redirect to a document that claims the id first asked for: the final URL is what counts.
    const carol = peer.actor("carol");
    peer.serve("/users/carol", null, { status: 302, location: `${peer.url}/elsewhere/carol` });
    peer.serve("/elsewhere/carol", carol.document);
    expect((await refusal(actors.forKey(carol.keyId))).kind).toBe("mismatch");
    expect(await store.federation.actors.get(carol.id)).toBeNull();
  });

  it("refuses a key that is not the actor's: another key id, or owned by someone else", async () => {
    const dave = peer.actor("dave");
    expect((await refusal(actors.fetchForKey(`${dave.id}#other-key`))).kind).toBe("mismatch");
    const erin = peer.actor("erin");
    peer.serve("/users/erin", {
      ...erin.document,
      publicKey: { id: erin.keyId, owner: dave.id, publicKeyPem: erin.publicKeyPem },
    });
    expect((await refusal(actors.forKey(erin.keyId))).kind).toBe("invalid");
    expect(await store.federation.actors.get(erin.id)).toBeNull();
  });

  it("tells a gone actor, an unreachable one and a non-actor apart", async () => {
    expect((await refusal(actors.get(`${peer.url}/users/nobody`))).kind).toBe("gone");
    expect((await refusal(actors.get("http://127.0.0.1:1/users/x"))).kind).toBe("unreachable");
    peer.serve("/page", "<html></html>", { type: "text/html" });
    expect((await refusal(actors.get(`${peer.url}/page`))).kind).toBe("invalid");
    peer.serve("/notes/1", { id: `${peer.url}/notes/1`, type: "Note", content: "x" });
    expect((await refusal(actors.get(`${peer.url}/notes/1`))).kind).toBe("invalid");
  });

  it("fetches an object only when it carries the id it was asked for, from that very URL", async () => {
    const id = `${peer.url}/notes/good`;
    peer.serve(id, { id, type: "Note", attributedTo: `${peer.url}/users/alice`, content: "<p>ok</p>" });
    const { document } = await objects.fetch(id);
    expect(document).toMatchObject({ kind: "object", id, content: "<p>ok</p>" });

    peer.serve("/notes/liar", { id: `${peer.url}/notes/good`, type: "Note" });
    expect((await refusal(objects.fetch(`${peer.url}/notes/liar`))).kind).toBe("mismatch");

    peer.serve("/notes/moved", null, { status: 301, location: id });
    expect((await refusal(objects.fetch(`${peer.url}/notes/moved`))).kind).toBe("mismatch");

    let deep: unknown = 1;
    for (let i = 0; i < 64; i++) deep = { a: deep };
    peer.serve("/notes/deep", { id: `${peer.url}/notes/deep`, type: "Note", x: deep });
    expect((await refusal(objects.fetch(`${peer.url}/notes/deep`))).kind).toBe("invalid");
  });
});
