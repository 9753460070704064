import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../server/cli/main.js";
import { admin, createBoard, domainOf, mirrorOf, startAtoll, waitFor } from "../support/defederation-parties.js";
import { type FedifyPeer, fedifyPeerUnavailable, startFedifyPeer } from "../support/fedify-peer.js";
import { makeJpeg, type TestInstance } from "../support/instance.js";
import type { Json } from "../support/loopback.js";

/*
 * Probation of a new peer, with the independent Fedify peer (127.0.0.4) on a domain the Atoll
 * instance (127.0.0.3) has never seen: its new threads wait for a moderator and its media is not
 * fetched, replies are taken, and vouching (admin API, then the command line) lifts both.
 */

const unavailable = fedifyPeerUnavailable();

describe.skipIf(unavailable !== null)(
  `probation of a new peer, with the Fedify peer${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    let A: TestInstance;
    let peer: FedifyPeer;
    let group: string;
    let domain: string;

    const mediaRequests = async () => (await peer.control<{ count: number }>("/control/media-requests")).count;
    const heldList = async () => (await admin(A, "GET", "/api/v1/admin/held")).json as Json[];
    const thread = (content: string) =>
      peer.control<{ ok: boolean; id: string }>("/control/note", {
        to: group,
        mention: "@q",
        content,
        image: `${peer.origin}/image.png`,
      });
    const heldThread = (objectId: string) =>
      waitFor("the held thread", async () => (await heldList()).find((h) => h["object_id"] === objectId));
    const atoll = async (...argv: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const env = { DATA_DIR: A.dataDir, PUBLIC_URL: A.url, LOG_LEVEL: "error", PEER_PROBATION_DAYS: "7" };
      const code = await runCli(argv, { out: (s) => out.push(s), err: (s) => err.push(s), env });
      return { code, out: out.join("\n"), err: err.join("\n") };
    };

    beforeAll(async () => {
      A = await startAtoll("127.0.0.3", { PEER_PROBATION_DAYS: "7" });
      await createBoard(A, "q");
      group = `${A.url}/ap/boards/q`;
      peer = await startFedifyPeer("127.0.0.4");
      domain = domainOf(peer);
      const jpeg = await makeJpeg(64, 48);
      await peer.control("/control/image", { base64: jpeg.toString("base64"), type: "image/jpeg" });
    }, 120_000);
    afterAll(async () => {
      await peer?.stop();
      await A?.stop();
    });

    it("holds a new peer's thread without fetching its image, and takes its replies without media", async () => {
      const sent = await thread("<p>a thread from nowhere</p>");
      expect(sent.ok).toBe(true);
      const held = await heldThread(sent.id);
      expect(held).toMatchObject({ board: "q", domain, actor: peer.actor, reason: "probation" });
      expect(await mirrorOf(A, sent.id)).toBeNull();
      expect(await mediaRequests()).toBe(0);

      const listed = (await admin(A, "GET", "/api/v1/admin/domain_probation")).json as Json[];
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ domain, on_probation: true, ended_by: null });
      const since = Date.parse(listed[0]?.["since"] as string);
      expect(Date.parse(listed[0]?.["until"] as string) - since).toBe(7 * 86_400_000);

      const local = await A.services.posting.createThread({ board: "q", comment: "a local thread", ip: "192.0.2.5" });
      const reply = await peer.control<{ ok: boolean; id: string }>("/control/note", {
        to: group,
        inReplyTo: `${A.url}/q/thread/${local.no}`,
        content: "<p>a reply on probation</p>",
        image: `${peer.origin}/image.png`,
      });
      const posted = await waitFor("the reply", () => mirrorOf(A, reply.id));
      expect(posted.threadNo).toBe(local.no);
      expect(posted.file).toBeNull();
      expect(await mediaRequests()).toBe(0);
    });

    it("after an admin vouches through the API, the peer's next thread is published with its image", async () => {
      const res = await admin(A, "POST", `/api/v1/admin/domain_probation/${domain}/vouch`, { reason: "known admin" });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ domain, on_probation: false, ended_by: "vouch" });
      expect((await admin(A, "GET", "/api/v1/admin/domain_probation")).json).toEqual([]);

      const sent = await thread("<p>a thread once vouched for</p>");
      const post = await waitFor("the published thread", () => mirrorOf(A, sent.id));
      expect(post.no).toBe(post.threadNo);
      expect(post.file).not.toBeNull();
      expect(await mediaRequests()).toBeGreaterThan(0);
      // What was held before stays held for a moderator; vouching does not publish it.
      expect((await heldList()).map((h) => h["reason"])).toEqual(["probation"]);

      const audit = (await admin(A, "GET", `/api/v1/admin/domain_audit?domain=${domain}`)).json as Json[];
      expect(audit.map((e) => e["action"])).toEqual(["probation.vouch", "probation.start"]);
      expect(audit[0]).toMatchObject({ reason: "known admin" });
    });

    it("the command line puts the peer back on probation and vouches for it again", async () => {
      const back = await atoll("domain", "probation", domain, "--restart", "--reason", "spam wave");
      expect(back.code).toBe(0);
      expect(back.out).toContain(`${domain} is on probation`);
      const listed = await atoll("domain", "probation", "--json");
      expect((JSON.parse(listed.out) as Json[]).map((p) => p["domain"])).toEqual([domain]);

      const before = await mediaRequests();
      const sent = await thread("<p>held again</p>");
      const held = await heldThread(sent.id);
      expect(held["reason"]).toBe("probation");
      expect(await mediaRequests()).toBe(before);

      const vouched = await atoll("domain", "vouch", domain);
      expect(vouched.code).toBe(0);
      expect(vouched.out).toContain("vouched for");
      const next = await thread("<p>published again</p>");
      const post = await waitFor("the published thread", () => mirrorOf(A, next.id));
      expect(post.file).not.toBeNull();

      const audit = (await admin(A, "GET", `/api/v1/admin/domain_audit?domain=${domain}`)).json as Json[];
      expect(audit.map((e) => [e["action"], (e["actor"] as Json)["kind"]])).toEqual([
        ["probation.vouch", "cli"],
        ["probation.start", "cli"],
        ["probation.vouch", "token"],
        ["probation.start", "system"],
      ]);
    });
  },
);
