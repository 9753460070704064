import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  deletionActivities,
  deliveryId,
  type OutgoingActivity,
  postActivities,
  remoteActivities,
  updateActivities,
} from "../../federation/delivery/activities.js";
import { type FanoutTarget, planDeliveries } from "../../federation/delivery/fanout.js";
import {
  classifySoftware,
  GROUP_AWARE_SOFTWARE,
  MICROBLOG_SOFTWARE,
  receives,
} from "../../federation/delivery/software.js";
import { FederationIds } from "../../federation/ids.js";
import { RemoteError } from "../../federation/remote/errors.js";
import { nodeInfoHref, softwareOf } from "../../federation/remote/nodeinfo.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

const PUBLIC_URL = "http://atoll.test";
const ids = new FederationIds(PUBLIC_URL);

describe("classifying follower software", () => {
  it("knows the group-aware software and the microblogs, in any case, and nothing else", () => {
    for (const name of ["lemmy", "mbin", "kbin", "piefed", "lotide", "sublinks", "nodebb", "friendica", "atoll"]) {
      expect(classifySoftware(name)).toBe("group");
    }
    for (const name of ["mastodon", "misskey", "sharkey", "pleroma", "akkoma", "gotosocial", "iceshrimp"]) {
      expect(classifySoftware(name)).toBe("microblog");
    }
    expect(classifySoftware("Lemmy")).toBe("group");
    expect(classifySoftware(" MASTODON ")).toBe("microblog");
    for (const name of [null, undefined, "", "peertube", "wordpress", "lemmy-fork"]) {
      expect(classifySoftware(name)).toBe("unknown");
    }
    // no name is in both lists
    for (const name of GROUP_AWARE_SOFTWARE) expect(MICROBLOG_SOFTWARE.has(name)).toBe(false);
  });

  it("sends each kind what it reads, the unknown everything, and untagged activities to all", () => {
    expect(receives("group", "group")).toBe(true);
    expect(receives("group", "microblog")).toBe(false);
    expect(receives("microblog", "microblog")).toBe(true);
    expect(receives("microblog", "group")).toBe(false);
    expect(receives("unknown", "group")).toBe(true);
    expect(receives("unknown", "microblog")).toBe(true);
    for (const kind of ["group", "microblog", "unknown"] as const) expect(receives(kind, undefined)).toBe(true);
  });
});

describe("choosing the activities of each inbox", () => {
  const announce = (id: string, family?: "group" | "microblog"): OutgoingActivity => ({
    actor: `${PUBLIC_URL}/ap/boards/b`,
    activity: { id, type: "Announce" },
    ...(family ? { family } : {}),
  });
  const targets: FanoutTarget[] = [
    { inbox: "https://lemmy.example/inbox", domain: "lemmy.example", kind: "group" },
    { inbox: "https://masto.example/inbox", domain: "masto.example", kind: "microblog" },
    { inbox: "https://odd.example/inbox", domain: "odd.example", kind: "unknown" },
  ];

  it("gives a new thread's Announce(Create) to group-aware inboxes, its boost to microblogs, both to the unknown", () => {
    const items = planDeliveries([announce("a#announce", "group"), announce("a#boost", "microblog")], targets);
    expect(items.map((i) => [i.domain, i.activityId])).toEqual([
      ["lemmy.example", "a#announce"],
      ["odd.example", "a#announce"],
      ["masto.example", "a#boost"],
      ["odd.example", "a#boost"],
    ]);
    for (const i of items) {
      expect(i.id).toBe(deliveryId(i.activityId, i.inbox));
      expect(JSON.parse(i.body)).toEqual({ id: i.activityId, type: "Announce" });
      expect(i.keyId).toBe(`${PUBLIC_URL}/ap/boards/b`);
    }
  });

  it("gives a reply's Announce(Create) nothing for microblogs, and deletions to every inbox", () => {
    expect(planDeliveries([announce("r#announce", "group")], targets).map((i) => i.domain)).toEqual([
      "lemmy.example",
      "odd.example",
    ]);
    const all = planDeliveries([announce("d#announce-delete"), announce("d#delete")], targets);
    expect(all).toHaveLength(6);
    expect(planDeliveries([announce("x", "group")], [])).toEqual([]);
  });

  it("costs one request per inbox of known software for a thread, two for the unknown", () => {
    const many: FanoutTarget[] = Array.from({ length: 50 }, (_, i) => ({
      inbox: `https://h${i}.example/inbox`,
      domain: `h${i}.example`,
      kind: i % 2 ? "group" : "microblog",
    }));
    const thread = [announce("t#announce", "group"), announce("t#boost", "microblog")];
    expect(planDeliveries(thread, many)).toHaveLength(50);
    expect(
      planDeliveries(
        thread,
        many.map((t) => ({ ...t, kind: "unknown" as const })),
      ),
    ).toHaveLength(100);
  });
});

describe("tagging a board's activities with the software that reads them", () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ PUBLIC_URL, ATOLL_ROLE: "web" });
    await t.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
  });
  afterAll(async () => {
    await t.stop();
  });

  it("tags a thread's Announce(Create) and boost, a reply's Announce only, and never deletions or updates", async () => {
    const s = t.services;
    const board = (await s.store.boards.get("b"))!;
    const op = await s.posting.createThread({ board: "b", comment: "op", ip: "192.0.2.1" });
    const reply = await s.posting.createReply({ board: "b", threadNo: op.no, comment: "re", ip: "192.0.2.1" });
    const tags = (list: OutgoingActivity[]) => list.map((a) => [String(a.activity["id"]).split("#")[1], a.family]);
    expect(tags(postActivities(board, op, s, ids))).toEqual([
      ["announce", "group"],
      ["boost", "microblog"],
    ]);
    expect(tags(postActivities(board, reply, s, ids, op))).toEqual([["announce", "group"]]);
    expect(deletionActivities(reply, s, ids, 1000).every((a) => a.family === undefined)).toBe(true);
    expect(updateActivities(board, reply, s, ids, op, 1000).every((a) => a.family === undefined)).toBe(true);
  });

  it("tags a remote new thread like a local one, and leaves a remote Update or Delete for everyone", () => {
    const create = {
      id: "https://remote.example/activities/1",
      type: "Create",
      actor: "https://remote.example/users/r",
      object: { id: "https://remote.example/notes/1", type: "Note" },
    };
    const thread = remoteActivities("b", create, create.id, ids, 1000);
    expect(thread.map((a) => [typeof a.activity["object"], a.family])).toEqual([
      ["object", "group"],
      ["string", "microblog"],
    ]);
    const reply = { ...create, object: { ...create.object, inReplyTo: `${PUBLIC_URL}/b/thread/1` } };
    expect(remoteActivities("b", reply, create.id, ids, 1000).map((a) => a.family)).toEqual(["group"]);
    const update = { ...create, type: "Update" };
    expect(remoteActivities("b", update, create.id, ids, 1000).map((a) => a.family)).toEqual([undefined]);
    const del = { id: "https://remote.example/activities/2", type: "Delete", object: create.object.id };
    expect(remoteActivities("b", del, del.id, ids, 1000).map((a) => a.family)).toEqual([undefined]);
  });
});

describe("reading NodeInfo", () => {
  const base = "https://peer.example/.well-known/nodeinfo";
  const rel = (v: string) => `http://nodeinfo.diaspora.software/ns/schema/${v}`;

  it("follows the link of the newest schema, relative links resolved", () => {
    const links = [
      { rel: rel("1.0"), href: "https://peer.example/nodeinfo/1.0" },
      { rel: rel("2.1"), href: "/nodeinfo/2.1" },
      { rel: rel("2.0"), href: "https://peer.example/nodeinfo/2.0" },
      { rel: "https://example.org/other", href: "https://peer.example/other" },
      { rel: rel("9.9") },
      "junk",
    ];
    expect(nodeInfoHref({ links }, base)).toBe("https://peer.example/nodeinfo/2.1");
    expect(nodeInfoHref({ links: [{ rel: `https${rel("2.0").slice(4)}`, href: "x/2.0" }] }, base)).toBe(
      "https://peer.example/.well-known/x/2.0",
    );
  });

  it("refuses a discovery document without a usable link", () => {
    for (const doc of [
      null,
      [],
      { links: "no" },
      { links: [] },
      { links: [{ rel: rel("2.0"), href: "javascript:alert(1)" }] },
      { links: [{ rel: rel("2.0"), href: "ftp://peer.example/n" }] },
      { links: [{ rel: rel("2.0"), href: "http://[::1" }] },
    ]) {
      expect(() => nodeInfoHref(doc, base)).toThrow(RemoteError);
    }
  });

  it("takes the software's name in lower case and its version, cleaned and bounded", () => {
    expect(softwareOf({ software: { name: "Mastodon", version: "4.3.1+glitch" } })).toEqual({
      name: "mastodon",
      version: "4.3.1+glitch",
    });
    expect(softwareOf({ software: { name: " lemmy\u0000\n", version: 3 } })).toEqual({ name: "lemmy", version: null });
    expect(softwareOf({ software: { name: "x".repeat(1000), version: "1".repeat(1000) } })).toEqual({
      name: "x".repeat(100),
      version: "1".repeat(100),
    });
    for (const doc of [null, {}, { software: "lemmy" }, { software: { name: "" } }, { software: { name: 7 } }]) {
      expect(() => softwareOf(doc)).toThrow(RemoteError);
    }
  });
});
