import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GuardedFetch } from "../../federation/http/guarded-fetch.js";
import { GroupModerators } from "../../federation/inbox/group-moderators.js";
import { RemoteError } from "../../federation/remote/errors.js";
import type { SignedGetter } from "../../federation/remote/fetch.js";
import { FakePeer } from "../support/fake-peer.js";
import { freePort } from "../support/fedify-peer.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

/*
 * Who moderates a followed group, read over loopback HTTP through the guarded client from a peer
 * serving the group in Lemmy's shape (`attributedTo`) and Mbin's (`moderators`, paged), with a
 * clock the test moves.
 */

function getter(): SignedGetter {
  const http = new GuardedFetch({ allowPrivateAddresses: true, userAgent: "test" });
  return { signedGet: (url, opts = {}) => http.request(url, { accept: "application/activity+json", ...opts }) };
}

describe("group moderators", () => {
  let peer: FakePeer;
  let other: FakePeer;
  let now = 1_000_000;
  const clock = () => now;

  beforeAll(async () => {
    [peer, other] = await Promise.all([FakePeer.start("127.0.0.1"), FakePeer.start("127.0.0.3")]);
  });
  afterAll(async () => {
    await Promise.all([peer?.close(), other?.close()]);
  });

  const fetchesOf = (path: string) => peer.fetched.filter((p) => p === path).length;

  it("reads a Lemmy group's attributedTo collection, and again only when it may have changed", async () => {
    const group = `${peer.url}/c/lemmy`;
    peer.serve("/c/lemmy", {
      id: group,
      type: "Group",
      inbox: `${group}/inbox`,
      attributedTo: `${group}/moderators`,
      featured: `${group}/featured`,
    });
    peer.serve("/c/lemmy/moderators", {
      type: "OrderedCollection",
      id: `${group}/moderators`,
      orderedItems: [`${peer.url}/u/mod`],
    });
    const mods = new GroupModerators(getter(), clock);
    expect(await mods.isModerator(group, group)).toBe(true);
    expect(fetchesOf("/c/lemmy")).toBe(0);
    expect(await mods.isModerator(group, `${peer.url}/u/mod`)).toBe(true);
    expect(await mods.isModerator(group, `${peer.url}/u/troll`)).toBe(false);
    expect((await mods.staff(group)).featured).toBe(`${group}/featured`);
    // Fresh: one read of the group and of its collection for all of that.
    expect(fetchesOf("/c/lemmy/moderators")).toBe(1);

    // A minute on, an actor not listed makes it read again: a moderator appointed meanwhile counts.
    peer.serve("/c/lemmy/moderators", {
      type: "OrderedCollection",
      id: `${group}/moderators`,
      orderedItems: [`${peer.url}/u/mod`, `${peer.url}/u/new`],
    });
    expect(await mods.isModerator(group, `${peer.url}/u/new`)).toBe(false);
    now += 61_000;
    expect(await mods.isModerator(group, `${peer.url}/u/new`)).toBe(true);
    expect(await mods.isModerator(group, `${peer.url}/u/troll`)).toBe(false);
    expect(fetchesOf("/c/lemmy/moderators")).toBe(2);

    // A listed moderator removed is believed until the hour is over, or until the group says so.
    peer.serve("/c/lemmy/moderators", { type: "OrderedCollection", id: `${group}/moderators`, orderedItems: [] });
    expect(await mods.isModerator(group, `${peer.url}/u/mod`)).toBe(true);
    mods.forget(group);
    expect(await mods.isModerator(group, `${peer.url}/u/mod`)).toBe(false);
    expect(fetchesOf("/c/lemmy/moderators")).toBe(3);
  });

  it("follows the pages of an Mbin group's moderators collection", async () => {
    const group = `${peer.url}/m/mbin`;
    peer.serve("/m/mbin", { id: group, type: "Group", inbox: `${group}/inbox`, moderators: `${group}/moderators` });
    peer.serve("/m/mbin/moderators", {
      type: "OrderedCollection",
      id: `${group}/moderators`,
      totalItems: 2,
      first: `${group}/moderators?page=1`,
    });
    peer.serve("/m/mbin/moderators?page=1", {
      type: "OrderedCollectionPage",
      id: `${group}/moderators?page=1`,
      orderedItems: [`${peer.url}/u/first`],
      next: `${group}/moderators?page=2`,
    });
    peer.serve("/m/mbin/moderators?page=2", {
      type: "OrderedCollectionPage",
      id: `${group}/moderators?page=2`,
      orderedItems: [{ id: `${peer.url}/u/second`, type: "Person", inbox: `${peer.url}/u/second/inbox` }],
    });
    const mods = new GroupModerators(getter(), clock);
    expect(await mods.isModerator(group, `${peer.url}/u/first`)).toBe(true);
    expect(await mods.isModerator(group, `${peer.url}/u/second`)).toBe(true);
  });

  it("never reads a moderators collection on another server: only the group speaks for itself", async () => {
    const group = `${peer.url}/c/elsewhere`;
    peer.serve("/c/elsewhere", {
      id: group,
      type: "Group",
      inbox: `${group}/inbox`,
      attributedTo: `${other.url}/moderators`,
    });
    other.serve("/moderators", { type: "OrderedCollection", id: `${other.url}/moderators`, orderedItems: [other.url] });
    const mods = new GroupModerators(getter(), clock);
    expect(await mods.isModerator(group, other.url)).toBe(false);
    expect(await mods.isModerator(group, group)).toBe(true);
    expect(other.fetched).toHaveLength(0);
    expect((await mods.staff(group)).moderatorsCollection).toBeNull();
  });

  it("fails as a remote error when the group cannot be read, so the activity waits or is refused", async () => {
    const mods = new GroupModerators(getter(), clock);
    const err = await mods.isModerator(`${peer.url}/c/gone`, `${peer.url}/u/mod`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
  });
});

describe("an Atoll board's moderators, as another Atoll reads them", () => {
  let t: TestInstance;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestInstance(
      { PORT: String(port), PUBLIC_URL: base, ALLOW_PRIVATE_ADDRESSES: "on" },
      { listen: true },
    );
    await t.services.boards.create({ uri: "b", title: "B" });
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  it("reads the board's paged moderators collection from its attributedTo", async () => {
    const board = `${base}/ap/boards/b`;
    const mods = new GroupModerators(getter(), () => 1);
    expect((await mods.staff(board)).moderatorsCollection).toBe(`${board}/moderators`);
    // The board lists its staff as Persons; the instance actor and the anonymous poster are not staff.
    const listed = (await (await fetch(`${board}/moderators?page=true`)).json()) as { orderedItems: string[] };
    expect(listed.orderedItems.length).toBeGreaterThan(0);
    for (const person of listed.orderedItems) expect(await mods.isModerator(board, person)).toBe(true);
    expect(await mods.isModerator(board, `${base}/ap/actor`)).toBe(false);
    expect(await mods.isModerator(board, `${base}/ap/anonymous`)).toBe(false);
  });
});
