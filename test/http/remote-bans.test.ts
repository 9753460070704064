import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csrfOf, signIn } from "../support/admin-session.js";
import { admin, createBoard, mirrorOf, settled, startAtoll, waitFor } from "../support/defederation-parties.js";
import { type FedifyPeer, fedifyPeerUnavailable, startFedifyPeer } from "../support/fedify-peer.js";
import type { TestInstance } from "../support/instance.js";
import { call, type Json } from "../support/loopback.js";

/*
 * Bans of one remote account, with the independent Fedify peer (127.0.0.2) against an Atoll instance
 * (127.0.0.1): the ban holds at the inbox, removes the account's posts when asked, is listed with
 * address bans, and reaches the peer as Lemmy's Block (announced by the board), undone when lifted.
 */

const unavailable = fedifyPeerUnavailable();

describe.skipIf(unavailable !== null)(
  `remote account bans, with the Fedify peer${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    let A: TestInstance;
    let peer: FedifyPeer;
    let group: string;
    let handle: string;

    const note = (board: string, content: string) =>
      peer.control<{ ok: boolean; id: string }>("/control/note", {
        to: `${A.url}/ap/boards/${board}`,
        mention: `@${board}`,
        content,
      });
    const received = async (type: string, inner: string) =>
      (await peer.received()).filter(
        (a) => a["type"] === type && (a["object"] as Json | undefined)?.["type"] === inner,
      );

    beforeAll(async () => {
      A = await startAtoll("127.0.0.1");
      await createBoard(A, "q");
      await createBoard(A, "r");
      group = `${A.url}/ap/boards/q`;
      peer = await startFedifyPeer("127.0.0.2");
      handle = `alice@${new URL(peer.origin).host}`;
      await peer.control("/control/follow", { target: group });
      await waitFor("the accepted follow", async () => {
        const f = await A.services.store.federation.follows.get(peer.actor, group);
        return f?.state === "accepted";
      });
    }, 120_000);
    afterAll(async () => {
      await peer?.stop();
      await A?.stop();
    });

    it("a board ban by handle removes the account's posts there, refuses its next ones, and goes out as a Block", async () => {
      const first = await note("q", "<p>trolling on q</p>");
      const elsewhere = await note("r", "<p>behaving on r</p>");
      await waitFor("both posts", async () => (await mirrorOf(A, first.id)) && (await mirrorOf(A, elsewhere.id)));

      const res = await admin(A, "POST", "/api/v1/admin/bans", {
        actor: `@${handle}`,
        board: "q",
        reason: "trolling",
        duration: 3600,
        delete_posts: true,
      });
      expect(res.status).toBe(201);
      expect(res.json).toMatchObject({
        kind: "account",
        board: "q",
        actor: peer.actor,
        handle,
        reason: "trolling",
        delete_posts: true,
        removed_posts: 1,
        created_by: "api",
      });
      expect(await mirrorOf(A, first.id)).toBeNull();
      expect(await mirrorOf(A, elsewhere.id)).not.toBeNull();

      // The peer follows /q/: it hears the ban once, as the board's Announce of the Block.
      const [announce] = await waitFor("the announced Block", async () => {
        const list = await received("Announce", "Block");
        return list.length > 0 ? list : undefined;
      });
      expect(announce?.["actor"]).toBe(group);
      // The Block is the banning staff Person's (Lemmy takes a community ban only from one of its
      // moderators), signed by that Person, as the peer checked; the board's collection lists them.
      const staffActor = String((announce?.["object"] as Json | undefined)?.["actor"]);
      expect(staffActor).toMatch(new RegExp(`^${group}/staff/[A-Za-z0-9_-]{22}$`));
      const moderators = await call(A.url, "GET", "/ap/boards/q/moderators?page=true", undefined, {
        accept: "application/activity+json",
      });
      expect((moderators.json as { orderedItems: string[] }).orderedItems).toContain(staffActor);
      expect(announce?.["object"]).toMatchObject({
        type: "Block",
        actor: staffActor,
        object: peer.actor,
        target: group,
        summary: "trolling",
      });
      // The peer writes the time back in its own form (it drops a trailing zero of the milliseconds).
      const endTime = (announce?.["object"] as Json | undefined)?.["endTime"];
      expect(Date.parse(String(endTime))).toBe(Date.parse(String((res.json as Json)["expires_at"])));
      expect(Number.isFinite(Date.parse(String(endTime)))).toBe(true);
      await settled(A);
      expect((await peer.received()).filter((a) => a["type"] === "Block")).toEqual([]);

      const refused = await note("q", "<p>trying again on q</p>");
      const reject = await waitFor("the Reject of the refused post", async () =>
        (await received("Reject", "Create")).find((a) => (a["object"] as Json)["object"] === refused.id),
      );
      expect(JSON.stringify(reject)).toContain("banned from /q/");
      expect(await mirrorOf(A, refused.id)).toBeNull();
      const allowed = await note("r", "<p>still fine on r</p>");
      expect((await waitFor("the post on r", () => mirrorOf(A, allowed.id)))?.board).toBe("r");
    });

    it("lists account bans with address bans, refuses the same ban twice, and lifts it with an Undo", async () => {
      const local = (await A.services.posting.createThread({ board: "q", comment: "local", ip: "192.0.2.9" })).no;
      const addressBan = await admin(A, "POST", "/api/v1/admin/bans", { post: `q/${local}`, reason: "local spam" });
      expect(addressBan.status).toBe(201);
      const list = (await admin(A, "GET", "/api/v1/admin/bans")).json as Json[];
      expect(list.map((b) => [b["kind"], b["reason"]])).toEqual([
        ["address", "local spam"],
        ["account", "trolling"],
      ]);
      const again = await admin(A, "POST", "/api/v1/admin/bans", { actor: peer.actor, board: "q", reason: "x" });
      expect(again.status).toBe(409);

      const id = list.find((b) => b["kind"] === "account")?.["id"] as string;
      expect((await admin(A, "DELETE", `/api/v1/admin/bans/${id}`)).status).toBe(204);
      const undo = await waitFor("the announced Undo", async () => (await received("Announce", "Undo"))[0]);
      expect(undo["object"]).toMatchObject({
        type: "Undo",
        actor: expect.stringMatching(new RegExp(`^${group}/staff/`)),
        object: { type: "Block", object: peer.actor },
      });
      expect((await admin(A, "DELETE", `/api/v1/admin/bans/${id}`)).status).toBe(404);
      const back = await note("q", "<p>back on q</p>");
      expect((await waitFor("the post after the ban", () => mirrorOf(A, back.id)))?.board).toBe("q");
    });

    it("an instance-wide ban of a federated post's author holds on every board, sent as a Block of the instance", async () => {
      const post = await waitFor("a mirrored post on r", async () => {
        const posts = await A.services.store.posts.listByAuthors([peer.actor]);
        return posts.find((p) => p.board === "r");
      });
      const res = await admin(A, "POST", "/api/v1/admin/bans", { post: `r/${post.no}`, reason: "everywhere" });
      expect(res.status).toBe(201);
      expect(res.json).toMatchObject({ kind: "account", board: null, actor: peer.actor, expires_at: null });
      expect(await mirrorOf(A, post.apId!)).not.toBeNull(); // delete_posts was not asked for

      const block = await waitFor("the Block of the instance", async () =>
        (await peer.received()).find((a) => a["type"] === "Block"),
      );
      expect(block).toMatchObject({ actor: `${A.url}/ap/actor`, object: peer.actor, summary: "everywhere" });
      expect(block["target"]).toBe(`${A.url}/ap/actor`);

      for (const board of ["q", "r"]) {
        const sent = await note(board, `<p>refused on ${board}</p>`);
        await waitFor("the Reject", async () =>
          (await received("Reject", "Create")).find((a) => (a["object"] as Json)["object"] === sent.id),
        );
        expect(await mirrorOf(A, sent.id)).toBeNull();
      }
    });

    it("a board owner bans an account on the staff pages, sees it listed, and lifts only their board's bans", async () => {
      await A.services.staff.createUser("owner", "correct horse battery", "board_owner", ["q"]);
      const { agent } = await signIn(A.app, "owner", "correct horse battery");
      const page = await agent.get("/admin/bans");
      expect(page.text).toContain("Ban a fediverse account");
      expect(page.text).not.toContain('<option value="">all boards</option>');
      const form = {
        csrf: csrfOf(page.text),
        back: "/admin/bans",
        actor: handle,
        board: "q",
        reason: "rude",
        duration: "3600",
      };
      const placed = await agent.post("/admin/account-bans").type("form").send(form);
      expect(placed.status).toBe(303);
      const listed = await agent.get("/admin/bans");
      expect(listed.text).toContain(handle);
      expect(listed.text).toContain("rude");
      // The instance-wide ban is not theirs to see or lift.
      expect(listed.text).not.toContain("everywhere");
      const everywhere = (await A.services.store.remoteBans.list()).find((b) => b.board === null);
      const forced = await agent
        .post(`/admin/bans/${everywhere?.id}/lift`)
        .type("form")
        .send({ csrf: form.csrf, back: "/admin/bans" });
      expect(forced.status).toBe(403);
      const mine = (await A.services.store.remoteBans.list()).find((b) => b.reason === "rude");
      const lifted = await agent
        .post(`/admin/bans/${mine?.id}/lift`)
        .type("form")
        .send({ csrf: form.csrf, back: "/admin/bans" });
      expect(lifted.status).toBe(303);
      expect((await A.services.store.remoteBans.list()).map((b) => b.reason)).toEqual(["everywhere"]);
    });

    it("refuses what is not a remote account", async () => {
      const cases: Array<[Json, number]> = [
        [{ actor: "not a handle", reason: "x" }, 400],
        [{ actor: `${A.url}/ap/boards/q`, reason: "x" }, 400],
        [{ actor: peer.actor, ip_hash: "abcdefghij", reason: "x" }, 400],
        [{ actor: peer.actor, board: "q" }, 400],
        [{ actor: peer.actor, board: "nope", reason: "x" }, 404],
        [{ actor: peer.actor, board: "q", reason: "x", delete_posts: 3 }, 400],
        [{ actor: `nobody@${new URL(peer.origin).host}`, reason: "x" }, 422],
        [{ ip_hash: "abcdefghij", reason: "x", delete_posts: true }, 400],
      ];
      for (const [body, status] of cases) {
        const res = await admin(A, "POST", "/api/v1/admin/bans", body);
        expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), status]);
      }
    });
  },
);
