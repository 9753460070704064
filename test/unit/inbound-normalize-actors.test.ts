import { describe, expect, it } from "vitest";
import { type NormalizedActor, normalizeActor } from "../../federation/vocab/normalize.js";
import { ACTOR, activity, actor, refused } from "../support/inbound-documents.js";

/* Normalizing inbound actors: what delivery and signature checks need of them. */

describe("actors", () => {
  const person = (extra: Record<string, unknown> = {}) => ({
    id: ACTOR,
    type: "Person",
    preferredUsername: "alice",
    name: "Alice",
    summary: "<p>bio</p>",
    inbox: `${ACTOR}/inbox`,
    outbox: `${ACTOR}/outbox`,
    followers: `${ACTOR}/followers`,
    endpoints: { sharedInbox: "https://social.example/inbox" },
    publicKey: { id: `${ACTOR}#main-key`, owner: ACTOR, publicKeyPem: "-----BEGIN PUBLIC KEY-----\nAAAA\n" },
    icon: { type: "Image", mediaType: "image/png", url: "https://social.example/avatar.png" },
    url: "https://social.example/@alice",
    manuallyApprovesFollowers: true,
    ...extra,
  });

  it("reads what delivery and verification need", () => {
    const a: NormalizedActor = actor(person());
    expect(a).toMatchObject({
      kind: "actor",
      id: ACTOR,
      type: "Person",
      preferredUsername: "alice",
      inbox: `${ACTOR}/inbox`,
      sharedInbox: "https://social.example/inbox",
      publicKey: { id: `${ACTOR}#main-key`, owner: ACTOR },
      icon: "https://social.example/avatar.png",
      url: "https://social.example/@alice",
      manuallyApprovesFollowers: true,
    });
    expect(actor(person({ manuallyApprovesFollowers: undefined })).manuallyApprovesFollowers).toBe(false);
    for (const type of ["Group", "Service", "Application", "Organization"]) {
      expect(actor(person({ type })).type).toBe(type);
    }
  });

  it("refuses an actor without a usable inbox", () => {
    expect(refused(normalizeActor(person({ inbox: undefined })))).toBe("has no inbox");
    expect(refused(normalizeActor(person({ inbox: "https://u:p@social.example/inbox" })))).toBe(
      "inbox contains credentials",
    );
  });

  it("takes the key the actor owns out of several, and no key owned by someone else", () => {
    const other = { id: "https://evil.example/u#key", owner: "https://evil.example/u", publicKeyPem: "-----BEGIN X" };
    const own = { id: `${ACTOR}#main-key`, owner: ACTOR, publicKeyPem: "-----BEGIN PUBLIC KEY-----\nOWN\n" };
    expect(actor(person({ publicKey: [other, own] })).publicKey?.publicKeyPem).toContain("OWN");
    expect(actor(person({ publicKey: other })).publicKey).toBeUndefined();
    expect(actor(person({ publicKey: { ...own, owner: undefined } })).publicKey?.owner).toBe(ACTOR);
    expect(actor(person({ publicKey: { ...own, owner: { id: ACTOR } } })).publicKey?.owner).toBe(ACTOR);
    expect(actor(person({ publicKey: { ...own, publicKeyPem: "not a key" } })).publicKey).toBeUndefined();
  });

  it("takes the largest of several icons and a top-level sharedInbox (Discourse)", () => {
    const a = actor(
      person({
        endpoints: undefined,
        sharedInbox: "https://forum.example/inbox",
        icon: [
          { type: "Image", mediaType: "image/jpeg", width: 48, height: 48, url: "https://v.example/48.jpg" },
          { type: "Image", mediaType: "image/jpeg", width: 120, height: 120, url: "https://v.example/120.jpg" },
        ],
      }),
    );
    expect(a.icon).toBe("https://v.example/120.jpg");
    expect(a.sharedInbox).toBe("https://forum.example/inbox");
    expect(actor(person({ icon: { type: "Image", url: "javascript:alert(1)" } })).icon).toBeUndefined();
  });

  it("keeps an embedded bare actor reference as its id", () => {
    const follow = activity({
      id: "https://b.example/follows/1",
      type: "Follow",
      actor: "https://b.example/users/bob",
      object: { type: "Person", id: ACTOR },
    });
    expect(follow.object).toBe(ACTOR);
    const update = activity({
      id: "https://b.example/updates/1",
      type: "Update",
      actor: ACTOR,
      object: person({ name: "Alice 2" }),
    });
    expect(update.object).toMatchObject({ kind: "actor", name: "Alice 2" });
  });
});
