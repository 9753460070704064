import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digest } from "../../federation/documents/ids.js";
import { type FedifyPeer, fedifyPeerUnavailable, startFedifyPeer } from "../support/fedify-peer.js";
import type { TestInstance } from "../support/instance.js";
import { call, type FourchanPost, startLoopbackInstance, waitFor } from "../support/loopback.js";
import { followBoard } from "../support/mirror.js";

/*
 * Reports that cross the instance border, over real HTTP between real instances on loopback:
 * Atoll B's /b/ mirrors Atoll A's /a/ (a followed group, Lemmy's protocol), and a Fedify peer
 * plays a Mastodon-like author. A reader's report of a mirrored post reaches its origin as the
 * instance's Flag, signed and without the reporter; the origin files it with its origin shown and,
 * once staff deal with it, answers with Lemmy's Resolve.
 */

const TOKEN = "reports-federated-token-0123456789";
const STEP_MS = 45_000;
const READER_IP = "203.0.113.77";
const unavailable = fedifyPeerUnavailable();

const admin = (t: TestInstance, method: string, path: string, body?: unknown) =>
  call(t.url, method, path, body, { authorization: `Bearer ${TOKEN}` });

async function threadPosts(t: TestInstance, board: string, no: number): Promise<FourchanPost[]> {
  const res = await call(t.url, "GET", `/${board}/thread/${no}.json`);
  return res.status === 200 ? (res.json as { posts: FourchanPost[] }).posts : [];
}

/** Waits until the instance's delivery queue is empty (everything queued so far was sent or dropped). */
async function drained(t: TestInstance): Promise<void> {
  await waitFor(
    `${t.url} to send what it queued`,
    async () => {
      const pending = (await admin(t, "GET", "/api/v1/admin/deliveries")).json;
      return Array.isArray(pending) && pending.length === 0 ? true : undefined;
    },
    STEP_MS,
  );
}

interface AdminReport {
  id: string;
  post_no: number;
  reason: string;
  origin?: string | null;
}

describe("reports of mirrored posts between two Atoll instances", () => {
  let A: TestInstance;
  let B: TestInstance;
  let opA: number;
  let mirrorNo: number;

  beforeAll(async () => {
    [A, B] = await Promise.all([
      startLoopbackInstance("127.0.0.1", TOKEN, { TRUST_PROXY: "on" }),
      startLoopbackInstance("127.0.0.3", TOKEN, { TRUST_PROXY: "on" }),
    ]);
    const settings = { requireImageForThread: false };
    expect((await admin(A, "POST", "/api/v1/admin/boards", { uri: "a", title: "Alpha", settings })).status).toBe(201);
    expect((await admin(B, "POST", "/api/v1/admin/boards", { uri: "b", title: "Bravo", settings })).status).toBe(201);
    await followBoard(B.url, TOKEN, "b", `a@${new URL(A.url).host}`);
    opA = (await A.services.posting.createThread({ board: "a", comment: "buy cheap watches", ip: "192.0.2.5" })).no;
    mirrorNo = await waitFor(
      "the thread mirrored on B",
      async () => {
        const catalog = await call(B.url, "GET", "/b/catalog.json");
        const threads = (catalog.json as Array<{ threads: FourchanPost[] }>).flatMap((p) => p.threads);
        return threads.find((t) => String(t.ap_id).startsWith(`${A.url}/a/thread/${opA}`))?.no;
      },
      STEP_MS,
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all([A?.stop(), B?.stop()]);
  });

  it("sends a report on the mirror to the origin's board, without the reporter, and the origin files it", async () => {
    const res = await call(
      B.url,
      "POST",
      `/api/v1/boards/b/posts/${mirrorNo}/report`,
      { reason: "spam: watches" },
      {
        "x-forwarded-for": READER_IP,
      },
    );
    expect(res.status).toBe(202);
    // B keeps its own report too.
    const local = (await admin(B, "GET", "/api/v1/admin/reports")).json as AdminReport[];
    expect(local.map((r) => r.post_no)).toEqual([mirrorNo]);

    const filed = await waitFor(
      "the report filed on A",
      async () => {
        const list = (await admin(A, "GET", "/api/v1/admin/reports")).json as AdminReport[];
        return list.length > 0 ? list : undefined;
      },
      STEP_MS,
    );
    expect(filed).toHaveLength(1);
    expect(filed[0]).toMatchObject({ post_no: opA, origin: new URL(B.url).hostname });
    expect(filed[0]?.reason).toContain("spam: watches");
    const stored = await A.services.store.reports.get(filed[0]?.id ?? "");
    // The Flag came from B's instance actor to A's board, so A can answer it.
    expect(stored?.flag).toMatchObject({ actor: `${B.url}/ap/actor`, to: [`${A.url}/ap/boards/a`] });
    expect(JSON.stringify(stored)).not.toContain(READER_IP);

    // A second reader's report on the same post, while the first is open, is not sent again.
    const second = await call(
      B.url,
      "POST",
      `/api/v1/boards/b/posts/${mirrorNo}/report`,
      { reason: "scam" },
      {
        "x-forwarded-for": "203.0.113.78",
      },
    );
    expect(second.status).toBe(202);
    await drained(B);
    expect(((await admin(A, "GET", "/api/v1/admin/reports")).json as AdminReport[]).length).toBe(1);
  });

  it("answers with a Resolve once A's staff delete the post, which B's instance accepts", async () => {
    const [report] = (await admin(A, "GET", "/api/v1/admin/reports")).json as AdminReport[];
    const flag = (await A.services.store.reports.get(report?.id ?? ""))?.flag;
    expect(flag).toBeDefined();
    const del = await admin(A, "DELETE", `/api/v1/admin/boards/a/posts/${opA}`);
    expect(del.status).toBeLessThan(300);
    expect((await admin(A, "GET", "/api/v1/admin/reports")).json).toEqual([]);
    // B's instance received the Resolve, signed by A (its inbox records what it verified).
    const resolveId = `${A.url}/ap/actor/resolve/${digest(flag?.id ?? "")}`;
    await waitFor(
      "B to receive the Resolve",
      async () => ((await B.services.store.federation.inboxDedupe.has(resolveId, Date.now())) ? true : undefined),
      STEP_MS,
    );
    await drained(A);
    const dropped = (await admin(A, "GET", "/api/v1/admin/deliveries/dropped")).json as Array<{ activity_id: string }>;
    expect(dropped.filter((d) => d.activity_id.includes("/ap/actor/resolve/"))).toEqual([]);
    // The deletion reached the mirror too.
    await waitFor(
      "the mirror to lose the thread",
      async () => ((await threadPosts(B, "b", mirrorNo)).length === 0 ? true : undefined),
      STEP_MS,
    );
  });
});

describe.skipIf(unavailable !== null)(
  `a report of a Mastodon-like author's post${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    let t: TestInstance;
    let peer: FedifyPeer;
    let thread: number;

    beforeAll(async () => {
      t = await startLoopbackInstance("127.0.0.1", TOKEN, { TRUST_PROXY: "on" });
      const settings = { requireImageForThread: false };
      expect((await admin(t, "POST", "/api/v1/admin/boards", { uri: "b", title: "B", settings })).status).toBe(201);
      thread = (await t.services.posting.createThread({ board: "b", comment: "a thread", ip: "192.0.2.9" })).no;
      peer = await startFedifyPeer("127.0.0.2");
    }, 120_000);

    afterAll(async () => {
      await peer?.stop();
      await t?.stop();
    });

    it("goes to the author's server as a Flag naming the account and the post, signed by the instance", async () => {
      const sent = await peer.control<{ ok: boolean; id: string }>("/control/note", {
        to: `${t.url}/ap/boards/b`,
        inReplyTo: `${t.url}/b/thread/${thread}`,
        content: "<p>troll reply</p>",
      });
      expect(sent.ok).toBe(true);
      const reply = await waitFor(
        "the peer's reply",
        async () => (await threadPosts(t, "b", thread)).find((p) => p.fedi_actor === peer.actor),
        STEP_MS,
      );
      const res = await call(
        t.url,
        "POST",
        `/api/v1/boards/b/posts/${reply.no}/report`,
        { reason: "trolling" },
        {
          "x-forwarded-for": READER_IP,
        },
      );
      expect(res.status).toBe(202);
      // The peer records only activities whose signature it verified.
      const flag = await waitFor(
        "the Flag at the peer",
        async () => (await peer.received()).find((a) => a["type"] === "Flag"),
        STEP_MS,
      );
      expect(flag["actor"]).toBe(`${t.url}/ap/actor`);
      expect(flag["object"]).toEqual([peer.actor, sent.id]);
      expect(flag["content"]).toBe("<p>trolling</p>");
      expect(JSON.stringify(flag)).not.toContain(READER_IP);
    });
  },
);
