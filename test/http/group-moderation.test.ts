import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FedifyPeer, fedifyPeerUnavailable, freePort, startFedifyPeer } from "../support/fedify-peer.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";
import { waitFor } from "../support/loopback.js";
import { followBoard } from "../support/mirror.js";

/*
 * A board of ours mirrors a community on a Lemmy-shaped peer (test/peer/lemmy.mjs: the group
 * /c/main, its moderator /u/mod, /u/user and /u/troll), over real HTTP with real signatures. The
 * group's moderators' actions, announced as Lemmy announces them, are applied to the mirror; the
 * same actions by someone the group does not list as a moderator are refused with a 403.
 */

const unavailable = fedifyPeerUnavailable();
const TOKEN = "group-moderation-token-0123456789";

interface Delivery {
  inbox: string;
  status: number;
  body: string;
}

describe.skipIf(unavailable !== null)(
  `a followed group's moderation reaches our mirror${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    let t: TestInstance;
    let lemmy: FedifyPeer;
    let base: string;
    let group: string;

    beforeAll(async () => {
      const host = "127.0.0.6";
      const port = await freePort(host);
      base = `http://${host}:${port}`;
      t = await startTestInstance(
        { PORT: String(port), HOST: host, PUBLIC_URL: base, ALLOW_PRIVATE_ADDRESSES: "on", ADMIN_TOKEN: TOKEN },
        { listen: true },
      );
      await t.services.boards.create({ uri: "m", title: "Mirror", settings: { requireImageForThread: false } });
      lemmy = await startFedifyPeer("127.0.0.7", "lemmy.mjs");
      group = lemmy.actor;
      await followBoard(base, TOKEN, "m", group);
    }, 120_000);
    afterAll(async () => {
      await lemmy?.stop();
      await t?.stop();
    });

    /** A thread by `author` in the group, once mirrored here: its id there and number here. */
    async function mirroredThread(author: string, name: string): Promise<{ id: string; no: number }> {
      const { id } = await lemmy.control<{ id: string }>("/control/post", { author, name, content: `${name} body` });
      const no = await waitFor(
        `${id} to be mirrored`,
        async () => {
          const ref = await t.services.store.federation.remotePosts.get(id);
          return ref?.no;
        },
        20_000,
      );
      return { id, no };
    }

    async function moderate(body: Record<string, unknown>): Promise<Delivery> {
      const out = await lemmy.control<{ deliveries: Delivery[] }>("/control/moderate", body);
      expect(out.deliveries).toHaveLength(1);
      return out.deliveries[0] as Delivery;
    }

    const thread = (no: number) => t.services.store.posts.getThread("m", no);

    it("applies the moderator's removal of a thread, and refuses the troll's", async () => {
      const target = await mirroredThread("user", "Removed by staff");
      const forged = await moderate({ actor: "troll", type: "Delete", object: target.id, summary: "mine now" });
      expect(forged.status).toBe(403);
      expect(forged.body).toContain("is not a moderator of");
      expect(await t.services.store.posts.getPost("m", target.no)).not.toBeNull();

      const removal = await moderate({ actor: "mod", type: "Delete", object: target.id, summary: "spam" });
      expect(removal.status).toBe(202);
      expect(await t.services.store.posts.getPost("m", target.no)).toBeNull();
      expect(await t.services.store.federation.remotePosts.get(target.id)).toBeNull();
      // The board's public log records the removal received, with the moderator's reason.
      const log = await t.services.store.modLog.list("m", { limit: 10 });
      expect(log.find((e) => e.postNo === target.no)).toMatchObject({ action: "remote_removal", reason: "spam" });
      expect(log.filter((e) => e.reason === "mine now")).toHaveLength(0);
    });

    it("takes a moderator's removal sent straight to us, not a stranger's", async () => {
      const target = await mirroredThread("user", "Removed directly");
      const forged = await moderate({ actor: "troll", type: "Delete", object: target.id, via: "direct" });
      expect(forged.status).toBe(403);
      expect(await t.services.store.posts.getPost("m", target.no)).not.toBeNull();
      const removal = await moderate({ actor: "mod", type: "Delete", object: target.id, via: "direct" });
      expect(removal.status).toBe(202);
      expect(await t.services.store.posts.getPost("m", target.no)).toBeNull();
    });

    it("applies a comment's deletion by its own author", async () => {
      const op = await mirroredThread("mod", "A thread with a comment");
      const { id } = await lemmy.control<{ id: string }>("/control/comment", {
        author: "user",
        content: "I take it back",
        inReplyTo: op.id,
      });
      const no = await waitFor(
        "the comment to be mirrored",
        async () => {
          return (await t.services.store.federation.remotePosts.get(id))?.no;
        },
        20_000,
      );
      const byTroll = await moderate({ actor: "troll", type: "Delete", object: id });
      expect(byTroll.status).toBe(403);
      const own = await moderate({ actor: "user", type: "Delete", object: id });
      expect(own.status).toBe(202);
      expect(await t.services.store.posts.getPost("m", no)).toBeNull();
      expect(await t.services.store.posts.getPost("m", op.no)).not.toBeNull();
    });

    // Our removal deleted the copy: the restored post is read again from the group's server.
    it("restores a removed thread when a moderator undoes the removal, not when a stranger does", async () => {
      const target = await mirroredThread("user", "Removed, then restored");
      expect((await moderate({ actor: "mod", type: "Delete", object: target.id, summary: "oops" })).status).toBe(202);
      expect(await t.services.store.federation.remotePosts.get(target.id)).toBeNull();

      const forged = await moderate({ actor: "troll", type: "Delete", object: target.id, undo: true });
      expect(forged.status).toBe(403);
      expect(await t.services.store.federation.remotePosts.get(target.id)).toBeNull();

      const restored = await moderate({ actor: "mod", type: "Delete", object: target.id, undo: true });
      expect(restored.status).toBe(202);
      const ref = await t.services.store.federation.remotePosts.get(target.id);
      expect(ref).toMatchObject({ board: "m", via: group });
      expect((await t.services.store.posts.getPost("m", ref?.no ?? 0))?.subject).toBe("Removed, then restored");
      // Undoing it again changes nothing and is no error.
      expect((await moderate({ actor: "mod", type: "Delete", object: target.id, undo: true })).status).toBe(202);
    });

    it("locks and unlocks a thread for a moderator, never for a stranger", async () => {
      const target = await mirroredThread("user", "To be locked");
      const forged = await moderate({ actor: "troll", type: "Lock", object: target.id });
      expect(forged.status).toBe(403);
      // Sent straight to us rather than announced by the group: refused just the same.
      const direct = await moderate({ actor: "troll", type: "Lock", object: target.id, via: "direct" });
      expect(direct.status).toBe(403);
      expect(direct.body).toContain("is not a moderator of");
      expect((await thread(target.no))?.locked).toBe(false);

      expect((await moderate({ actor: "mod", type: "Lock", object: target.id, summary: "heated" })).status).toBe(202);
      expect((await thread(target.no))?.locked).toBe(true);
      const page = await fetch(`${base}/m/thread/${target.no}.json`);
      expect(((await page.json()) as { posts: Array<{ closed?: number }> }).posts[0]?.closed).toBe(1);

      expect((await moderate({ actor: "troll", type: "Lock", object: target.id, undo: true })).status).toBe(403);
      expect((await thread(target.no))?.locked).toBe(true);
      expect((await moderate({ actor: "mod", type: "Lock", object: target.id, undo: true })).status).toBe(202);
      expect((await thread(target.no))?.locked).toBe(false);
    });

    it("pins and unpins a thread added to the group's featured collection", async () => {
      const target = await mirroredThread("user", "To be pinned");
      const featured = `${group}/featured`;
      const forged = await moderate({ actor: "troll", type: "Add", object: target.id, target: featured });
      expect(forged.status).toBe(403);
      expect((await thread(target.no))?.sticky).toBe(false);

      expect((await moderate({ actor: "mod", type: "Add", object: target.id, target: featured })).status).toBe(202);
      expect((await thread(target.no))?.sticky).toBe(true);
      expect((await moderate({ actor: "mod", type: "Remove", object: target.id, target: featured })).status).toBe(202);
      expect((await thread(target.no))?.sticky).toBe(false);
    });

    it("takes a banned account's posts away when the ban says removeData", async () => {
      const a = await mirroredThread("troll", "Troll thread one");
      const b = await mirroredThread("troll", "Troll thread two");
      const kept = await mirroredThread("user", "Not the troll's");
      const troll = `${lemmy.origin}/u/troll`;
      const forged = await moderate({ actor: "user", type: "Block", object: troll, target: group, removeData: true });
      expect(forged.status).toBe(403);
      expect(await t.services.store.posts.getPost("m", a.no)).not.toBeNull();

      const ban = await moderate({
        actor: "mod",
        type: "Block",
        object: troll,
        target: group,
        removeData: true,
        summary: "trolling",
        endTime: "2030-01-01T00:00:00Z",
      });
      expect(ban.status).toBe(202);
      expect(await t.services.store.posts.getPost("m", a.no)).toBeNull();
      expect(await t.services.store.posts.getPost("m", b.no)).toBeNull();
      expect(await t.services.store.posts.getPost("m", kept.no)).not.toBeNull();

      // While the ban holds, the troll's posts are taken neither from the group nor from the troll.
      const announced = await lemmy.control<{ id: string; deliveries: Delivery[] }>("/control/post", {
        author: "troll",
        name: "Banned and posting",
        content: "hello again",
      });
      expect(announced.deliveries[0]?.status).toBe(202);
      expect(announced.deliveries[0]?.body).toContain("is banned from");
      const direct = await lemmy.control<{ id: string; deliveries: Delivery[] }>("/control/comment", {
        author: "troll",
        content: "a reply",
        inReplyTo: kept.id,
        via: "direct",
      });
      expect(direct.deliveries[0]?.status).toBe(403);
      expect(await t.services.store.federation.remotePosts.get(announced.id)).toBeNull();
      expect(await t.services.store.federation.remotePosts.get(direct.id)).toBeNull();

      // A moderator lifts it: the troll's posts come through again.
      const lift = await moderate({ actor: "mod", type: "Block", object: troll, target: group, undo: true });
      expect(lift.status).toBe(202);
      await mirroredThread("troll", "Back after the ban");
    });

    it("reads the moderators again when someone it does not list acts, so a new moderator is heard", async () => {
      const target = await mirroredThread("mod", "Locked by a new moderator");
      // The moderators were read before: the user is not one, and the list is fresh.
      expect((await moderate({ actor: "user", type: "Lock", object: target.id })).status).toBe(403);
      await lemmy.control("/control/moderators", { add: "user" });
      // The group announces the change to its moderators; the list is then read again.
      const added = await moderate({
        actor: "mod",
        type: "Add",
        object: `${lemmy.origin}/u/user`,
        target: `${group}/moderators`,
      });
      expect(added.status).toBe(202);
      expect((await moderate({ actor: "user", type: "Lock", object: target.id })).status).toBe(202);
      expect((await thread(target.no))?.locked).toBe(true);
      await lemmy.control("/control/moderators", { remove: "user" });
    });
  },
);
