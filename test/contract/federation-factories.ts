import type { Follow, KeyPair, RemoteActor } from "../../server/domain/federation-ports.js";

/* Complete federation records for the contract suites, each overridable field by field. */

/** The ActivityPub actor of the local board /b/. */
export const BOARD_ACTOR = "https://atoll.example/b";

export function remoteActor(overrides: Partial<RemoteActor> = {}): RemoteActor {
  const id = overrides.id ?? "https://remote.example/users/alice";
  return {
    id,
    type: "Person",
    inbox: `${id}/inbox`,
    sharedInbox: "https://remote.example/inbox",
    preferredUsername: "alice",
    name: "Alice",
    summary: "<p>hi</p>",
    url: "https://remote.example/@alice",
    iconUrl: "https://remote.example/avatar.png",
    followers: `${id}/followers`,
    keyId: `${id}#main-key`,
    publicKeyPem: "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n",
    domain: "remote.example",
    fetchedAt: 1000,
    raw: JSON.stringify({ id, type: "Person" }),
    ...overrides,
  };
}

/** An accepted inbound follow of /b/ by `actor`, delivered to `sharedInbox` when given. */
export function follow(overrides: Partial<Follow> = {}): Follow {
  const actorId = overrides.actorId ?? "https://remote.example/users/alice";
  return {
    id: `${actorId}#follows/1`,
    actorId,
    objectId: BOARD_ACTOR,
    board: "b",
    direction: "inbound",
    state: "accepted",
    inbox: `${actorId}/inbox`,
    sharedInbox: null,
    domain: "remote.example",
    createdAt: 1000,
    ...overrides,
  };
}

let keySeq = 0;

/** A key pair with text unlike any other this suite made. */
export function keyPair(): KeyPair {
  keySeq++;
  return { publicKeyPem: `public-${keySeq}`, privateKeyPem: `private-${keySeq}` };
}
