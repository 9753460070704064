import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../server/services/logger.js";
import { type FedifyPeer, fedifyPeerUnavailable, freePort, startFedifyPeer } from "../support/fedify-peer.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";
import { call, waitFor } from "../support/loopback.js";

/*
 * One board of ours follows two communities, each on its own Lemmy-shaped peer
 * (test/peer/lemmy.mjs). Each mirrored post remembers the group it came through, and a group's
 * moderators act only on those: the first group's moderator cannot remove, lock or pin the second
 * group's post (refused with a 403 and logged), while the second group's moderator can.
 */

const unavailable = fedifyPeerUnavailable();
const TOKEN = "two-groups-token-0123456789abcdef";

interface Delivery {
  inbox: string;
  status: number;
  body: string;
}

describe.skipIf(unavailable !== null)(
  `a board following two groups${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    let t: TestInstance;
    let first: FedifyPeer;
    let second: FedifyPeer;
    const lines: string[] = [];

    const follow = async (group: string) => {
      const auth = { authorization: `Bearer ${TOKEN}` };
      expect((await call(t.url, "POST", "/api/v1/admin/boards/m/follows", { target: group }, auth)).status).toBe(202);
      await waitFor(
        `the follow of ${group}`,
        async () => {
          const f = await t.services.store.federation.follows.get(`${t.url}/ap/boards/m`, group);
          return f?.state === "accepted";
        },
        30_000,
      );
    };

    beforeAll(async () => {
      const host = "127.0.0.83";
      const port = await freePort(host);
      t = await startTestInstance(
        {
          PORT: String(port),
          HOST: host,
          PUBLIC_URL: `http://${host}:${port}`,
          ALLOW_PRIVATE_ADDRESSES: "on",
          ADMIN_TOKEN: TOKEN,
        },
        { listen: true, logger: createLogger("info", (line) => lines.push(line)) },
      );
      await t.services.boards.create({ uri: "m", title: "Mirror", settings: { requireImageForThread: false } });
      [first, second] = await Promise.all([
        startFedifyPeer("127.0.0.84", "lemmy.mjs"),
        startFedifyPeer("127.0.0.85", "lemmy.mjs"),
      ]);
      await follow(first.actor);
      await follow(second.actor);
    }, 120_000);
    afterAll(async () => {
      await Promise.all([first?.stop(), second?.stop()]);
      await t?.stop();
    });

    async function mirroredThread(peer: FedifyPeer, name: string): Promise<{ id: string; no: number }> {
      const { id } = await peer.control<{ id: string }>("/control/post", {
        author: "user",
        name,
        content: `${name} body`,
      });
      const no = await waitFor(
        `${id} to be mirrored`,
        async () => (await t.services.store.federation.remotePosts.get(id))?.no,
        20_000,
      );
      return { id, no };
    }

    async function moderate(peer: FedifyPeer, body: Record<string, unknown>): Promise<Delivery> {
      const out = await peer.control<{ deliveries: Delivery[] }>("/control/moderate", { actor: "mod", ...body });
      expect(out.deliveries).toHaveLength(1);
      return out.deliveries[0] as Delivery;
    }

    it("records the group each mirrored post came through", async () => {
      const a = await mirroredThread(first, "from the first group");
      const b = await mirroredThread(second, "from the second group");
      expect((await t.services.store.federation.remotePosts.get(a.id))?.via).toBe(first.actor);
      expect((await t.services.store.federation.remotePosts.get(b.id))?.via).toBe(second.actor);
    });

    it("refuses the first group's moderator acting on the second group's post, and logs it", async () => {
      const target = await mirroredThread(second, "the second group's thread");
      for (const body of [
        { type: "Delete", object: target.id, summary: "not yours" },
        { type: "Lock", object: target.id },
        { type: "Add", object: target.id, target: `${first.actor}/featured` },
      ]) {
        const refused = await moderate(first, body);
        expect(refused.status).toBe(403);
        expect(refused.body).toContain(`came through ${second.actor}`);
      }
      const post = await t.services.store.posts.getThread("m", target.no);
      expect(post).toMatchObject({ locked: false, sticky: false });
      expect(lines.some((l) => l.includes("the post came through another group") && l.includes(first.actor))).toBe(
        true,
      );
      expect((await t.services.store.modLog.list("m", { limit: 10 })).some((e) => e.postNo === target.no)).toBe(false);

      // The second group's own moderator removes it.
      const removal = await moderate(second, { type: "Delete", object: target.id, summary: "spam" });
      expect(removal.status).toBe(202);
      expect(await t.services.store.posts.getPost("m", target.no)).toBeNull();
    });

    it("a reply takes its thread's group: the other group's moderator cannot remove it", async () => {
      const thread = await mirroredThread(second, "a thread with a reply");
      const { id } = await second.control<{ id: string }>("/control/comment", {
        author: "user",
        content: "a reply",
        inReplyTo: thread.id,
        via: "direct",
      });
      const no = await waitFor(
        "the reply",
        async () => (await t.services.store.federation.remotePosts.get(id))?.no,
        20_000,
      );
      // Sent straight by its author: no group of its own, its thread's is the one that counts.
      expect((await t.services.store.federation.remotePosts.get(id))?.via).toBeUndefined();
      const refused = await moderate(first, { type: "Delete", object: id });
      expect(refused.status).toBe(403);
      expect(await t.services.store.posts.getPost("m", no)).not.toBeNull();
    });
  },
);
