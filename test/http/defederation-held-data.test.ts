import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Follow } from "../../server/domain/federation-ports.js";
import { CLI } from "../support/defederation-parties.js";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";

/*
 * What a domain rule does to the data one instance holds from that domain: follows severed, media
 * dropped, held activities and posts purged, and the fetcher that reads blocklists.
 */

describe("what a domain rule does to held data, on one instance", () => {
  let t: TestInstance;
  const BAD = "bad.example";
  let seq = 0;

  beforeAll(async () => {
    t = await startTestInstance({ PUBLIC_URL: "http://127.0.0.1:9", ALLOW_PRIVATE_ADDRESSES: "on" });
    await t.services.boards.create({
      uri: "e",
      title: "E",
      description: "",
      settings: { requireImageForThread: false },
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  async function remote(host: string, threadNo: number | null, image = false) {
    const { post } = await t.services.posting.createRemote({
      board: "e",
      threadNo,
      name: `someone@${host}`,
      subject: null,
      comment: `from ${host}`,
      apId: `https://${host}/notes/${++seq}`,
      fediActor: `https://${host}/users/someone`,
      images: image ? [{ buffer: await makeJpeg(40 + seq, 30), originalName: "x.jpg" }] : [],
    });
    await t.services.store.federation.remotePosts.put({ apId: post.apId!, board: "e", no: post.no });
    return post;
  }

  function follow(actorId: string, direction: "inbound" | "outbound" = "inbound"): Follow {
    const host = new URL(actorId).hostname;
    const board = "http://127.0.0.1:9/ap/boards/e";
    return {
      id: `${actorId}#follow-${++seq}`,
      actorId: direction === "inbound" ? actorId : board,
      objectId: direction === "inbound" ? board : actorId,
      board: "e",
      direction,
      state: "accepted",
      inbox: `${actorId}/inbox`,
      sharedInbox: null,
      domain: host,
      createdAt: 1000,
    };
  }

  it("is connected to the domain moderation service when federation is on", async () => {
    const follows = t.services.store.federation.follows;
    await follows.add(follow(`https://${BAD}/users/one`));
    await follows.add(follow(`https://sub.${BAD}/groups/g`, "outbound"));
    await follows.add(follow("https://good.example/users/two"));
    const preview = await t.services.defederation.previewImport(`#domain,#severity\n${BAD},suspend\n`);
    // sub.bad.example's follow is counted under its own domain; bad.example's rule covers it.
    expect(preview.severs.reduce((n, s) => n + s.follows, 0)).toBe(2);
  });

  it("a suspension severs follows both ways with the domain and its subdomains, drops held threads and media", async () => {
    const { store, media } = t.services;
    const op = await remote(BAD, null, true);
    const reply = await remote(`sub.${BAD}`, op.no, true);
    const kept = await remote("good.example", op.no, true);
    await store.defederation.held.add({
      id: `https://${BAD}/activities/1`,
      board: "e",
      domain: BAD,
      actorId: `https://${BAD}/users/someone`,
      activity: "{}",
      receivedAt: 1,
    });
    await store.defederation.held.add({
      id: "https://good.example/activities/1",
      board: "e",
      domain: "good.example",
      actorId: "https://good.example/users/x",
      activity: "{}",
      receivedAt: 1,
    });
    expect(await media.has(op.file!.sha256)).toBe(true);

    await t.services.defederation.createBlock({ domain: BAD, severity: "suspend" }, CLI);

    expect((await store.federation.follows.domains()).map((d) => d.domain)).toEqual(["good.example"]);
    // One event for the rule, the subdomain's follow under it, told apart as the CLI's.
    const [event, ...others] = await store.defederation.severances.list({ limit: 10 });
    expect(others).toEqual([]);
    expect(event).toMatchObject({ domain: BAD, origin: "cli", followersLost: 1, followingLost: 1 });
    expect((await store.defederation.severances.relationships(event!.id)).map((r) => r.domain)).toEqual([
      BAD,
      `sub.${BAD}`,
    ]);
    expect((await store.defederation.held.list()).map((h) => h.domain)).toEqual(["good.example"]);
    // The posts stay until the purge, without their files; the other domain's file is untouched.
    const opNow = await store.posts.getPost("e", op.no);
    expect(opNow?.file).toBeNull();
    expect(opNow?.fileDeleted).toBe(true);
    expect((await store.posts.getPost("e", reply.no))?.file).toBeNull();
    for (const p of [op, reply]) {
      expect(await media.has(p.file!.sha256)).toBe(false);
      expect(await media.has(p.file!.thumbSha256)).toBe(false);
    }
    expect(await media.has(kept.file!.sha256)).toBe(true);
    expect((await store.posts.getPost("e", kept.no))?.file?.sha256).toBe(kept.file!.sha256);
  });

  it("reject_media alone drops the files of that domain and keeps its posts and follows", async () => {
    const { store, media } = t.services;
    const host = "pics.example";
    await store.federation.follows.add(follow(`https://${host}/users/p`));
    const p = await remote(host, null, true);
    await t.services.defederation.createBlock({ domain: host, severity: "noop", rejectMedia: true }, CLI);
    expect(await media.has(p.file!.sha256)).toBe(false);
    expect((await store.posts.getPost("e", p.no))?.comment).toBe(`from ${host}`);
    expect((await store.federation.follows.domains()).some((d) => d.domain === host)).toBe(true);
  });

  it("the purge deletes the domain's posts (whole threads for OPs) and their mappings, and nobody else's", async () => {
    const { store } = t.services;
    const thread = await remote("doomed.example", null);
    const localReply = await t.services.posting.createReply({
      board: "e",
      threadNo: thread.no,
      comment: "local",
      ip: "192.0.2.1",
    });
    const other = await remote("fine.example", null);
    const lone = await remote("x.doomed.example", other.no);
    const deletedEvents: number[] = [];
    const off = t.services.events.on((e) => {
      if (e.type === "post_deleted") deletedEvents.push(e.post.no);
    });
    const effects = await import("../../federation/admin/defederation-effects.js");
    const purged = await new effects.FederationHeldDataEffects(t.services).purgePosts("doomed.example");
    off();
    expect(purged).toBe(3);
    expect(deletedEvents.sort((a, b) => a - b)).toEqual([thread.no, localReply.no, lone.no].sort((a, b) => a - b));
    expect(await store.posts.getPost("e", thread.no)).toBeNull();
    expect(await store.posts.getPost("e", localReply.no)).toBeNull();
    expect(await store.posts.getPost("e", lone.no)).toBeNull();
    expect(await store.federation.remotePosts.get(thread.apId!)).toBeNull();
    expect((await store.posts.getPost("e", other.no))?.no).toBe(other.no);
  });

  it("the fetcher reads a list through the guarded client and turns failures into domain errors", async () => {
    const server = createServer((req, res) => {
      if (req.url === "/list.csv") res.writeHead(200, { "content-type": "text/csv" }).end("#domain\nlisted.example\n");
      else if (req.url === "/big") res.writeHead(200, { "content-type": "text/plain" }).end("a".repeat(2048));
      else res.writeHead(404).end();
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const { GuardedBlocklistFetcher } = await import("../../federation/admin/defederation-effects.js");
      const { GuardedFetch } = await import("../../federation/http/guarded-fetch.js");
      const open = new GuardedBlocklistFetcher(new GuardedFetch({ allowPrivateAddresses: true, userAgent: "t" }), {
        maxBytes: 1024,
      });
      expect(await open.fetch(`${base}/list.csv`)).toEqual({
        text: "#domain\nlisted.example\n",
        contentType: "text/csv",
      });
      await expect(open.fetch(`${base}/missing`)).rejects.toMatchObject({ kind: "unprocessable" });
      await expect(open.fetch(`${base}/big`)).rejects.toMatchObject({ kind: "unprocessable" });
      const strict = new GuardedBlocklistFetcher(new GuardedFetch({ allowPrivateAddresses: false, userAgent: "t" }));
      await expect(strict.fetch(`${base}/list.csv`)).rejects.toMatchObject({ kind: "unprocessable" });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
