import { expect } from "vitest";
import { FederationContext } from "../../federation/context.js";
import { FederationIds } from "../../federation/ids.js";
import { LocalKeys } from "../../federation/keys.js";
import { type FakeActor, FakePeer, postSigned } from "./fake-peer.js";
import { freePort } from "./fedify-peer.js";
import { makeJpeg, startTestInstance, type TestInstance } from "./instance.js";

export const AS = "https://www.w3.org/ns/activitystreams";
export const PUBLIC = `${AS}#Public`;
export const CLI = { kind: "cli", id: "" } as const;

export type Json = Record<string, unknown>;

/**
 * What the tests of domain rules at the federation boundaries run against. Each peer listens on its
 * own loopback address, which is its own domain to the instance: 127.0.0.2 (`good`, home of alice) is
 * allowed, 127.0.0.3 (`evil`, home of eve) suspended, 127.0.0.4 (`media`) has its media rejected,
 * 127.0.0.5 (`picky`, home of pat) is suspended by /pics/ only. The instance itself is 127.0.0.1, with
 * /b/ and /pics/; eve's thread `evilThread` was mirrored on /b/ before her domain was suspended.
 */
export class EnforcementScene {
  t!: TestInstance;
  good!: FakePeer;
  evil!: FakePeer;
  media!: FakePeer;
  picky!: FakePeer;
  alice!: FakeActor;
  eve!: FakeActor;
  pat!: FakeActor;
  ctx!: FederationContext;
  boardId = "";
  evilThread = 0;
  #seq = 0;

  async start(): Promise<void> {
    const port = await freePort();
    this.t = await startTestInstance(
      { ALLOW_PRIVATE_ADDRESSES: "on", PUBLIC_URL: `http://127.0.0.1:${port}`, PORT: String(port) },
      { listen: true },
    );
    const t = this.t;
    await t.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
    await t.services.boards.create({ uri: "pics", title: "Pictures", settings: { requireImageForThread: false } });
    this.boardId = `${t.url}/ap/boards/b`;
    this.good = await FakePeer.start("127.0.0.2");
    this.evil = await FakePeer.start("127.0.0.3");
    this.media = await FakePeer.start("127.0.0.4");
    this.picky = await FakePeer.start("127.0.0.5");
    this.alice = this.good.actor("alice");
    this.eve = this.evil.actor("eve");
    this.pat = this.picky.actor("pat");
    this.media.serve("/media/cat.jpg", await makeJpeg(64, 48), { type: "image/jpeg" });
    this.ctx = new FederationContext(
      t.services,
      new FederationIds(t.url),
      new LocalKeys(t.services.store.federation.keys),
    );

    // Before any rule: eve's thread is mirrored on /b/, so it is held here when her domain is suspended.
    const first = this.note(this.evil, this.eve);
    expect((await postSigned(this.inbox(), this.create(this.evil, this.eve, first), this.eve)).status).toBe(202);
    this.evilThread = (await this.stored(String(first["id"])))!.no;

    await t.services.defederation.createBlock({ domain: "127.0.0.3", severity: "suspend" }, CLI);
    await t.services.defederation.createBlock({ domain: "127.0.0.4", severity: "noop", rejectMedia: true }, CLI);
    await t.services.defederation.createBoardRule("pics", { domain: "127.0.0.5", severity: "suspend" }, CLI);
    this.evil.fetched.length = 0;
  }

  async stop(): Promise<void> {
    await this.t?.stop();
    for (const p of [this.good, this.evil, this.media, this.picky]) await p?.close();
  }

  /** A URL on `peer` no other call returned. */
  readonly fresh = (peer: FakePeer, what: string) => `${peer.url}/${what}/${++this.#seq}`;

  /** A public Note on `peer` by `author`, addressed to /b/. */
  readonly note = (peer: FakePeer, author: FakeActor, extra: Json = {}): Json => ({
    id: this.fresh(peer, "notes"),
    type: "Note",
    attributedTo: author.id,
    to: [PUBLIC],
    cc: [this.boardId],
    content: "<p>hello</p>",
    ...extra,
  });

  /** A Create of `object` on `peer` by `author`, with the object's addressing. */
  readonly create = (peer: FakePeer, author: FakeActor, object: Json): Json => ({
    "@context": AS,
    id: this.fresh(peer, "activities/create"),
    type: "Create",
    actor: author.id,
    to: object["to"],
    cc: object["cc"],
    object,
  });

  /** The instance's shared inbox. */
  readonly inbox = () => `${this.t.url}/ap/inbox`;

  /** The local post a remote object became, if any. */
  readonly stored = (apId: string) => this.t.services.store.federation.remotePosts.get(apId);
}
