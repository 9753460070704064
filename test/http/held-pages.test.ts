import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csrfOf, signIn } from "../support/admin-session.js";
import { createBoard, mirrorOf, startAtoll, waitFor } from "../support/defederation-parties.js";
import { type FedifyPeer, fedifyPeerUnavailable, startFedifyPeer } from "../support/fedify-peer.js";
import type { TestInstance } from "../support/instance.js";

/*
 * The held queue on the staff pages, with the Fedify peer (127.0.0.97) as a new server on probation
 * at the Atoll instance (127.0.0.96): its threads wait there for a moderator of their board, who
 * approves or rejects them; staff of another board neither see nor decide them.
 */

const unavailable = fedifyPeerUnavailable();
const PASSWORD = "correct horse battery staple";

describe.skipIf(unavailable !== null)(`the held queue page${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
  let A: TestInstance;
  let peer: FedifyPeer;

  const thread = async (content: string): Promise<string> => {
    const sent = await peer.control<{ ok: boolean; id: string }>("/control/note", {
      to: `${A.url}/ap/boards/q`,
      mention: "@q",
      content,
    });
    expect(sent.ok).toBe(true);
    await waitFor("the held thread", async () =>
      (await A.services.federation?.listHeld("q"))?.find((h) => h.objectId === sent.id),
    );
    return sent.id;
  };

  beforeAll(async () => {
    A = await startAtoll("127.0.0.96", { PEER_PROBATION_DAYS: "7" });
    await createBoard(A, "q");
    await createBoard(A, "z");
    await A.services.staff.createUser("owner", PASSWORD, "board_owner", ["q"]);
    await A.services.staff.createUser("other", PASSWORD, "board_volunteer", ["z"]);
    peer = await startFedifyPeer("127.0.0.97");
  }, 120_000);
  afterAll(async () => {
    await peer?.stop();
    await A?.stop();
  });

  it("lists a held thread with why it waits, and its board's moderator approves it", async () => {
    const first = await thread("<p>first words from a new server</p>");
    const { agent } = await signIn(A.app, "owner", PASSWORD);
    const page = await agent.get("/admin/held");
    expect(page.status).toBe(200);
    expect(page.text).toContain("first words from a new server");
    expect(page.text).toContain("on probation");
    const held = (await A.services.federation?.listHeld("q"))?.find((h) => h.objectId === first);
    const approved = await agent
      .post("/admin/held/approve")
      .type("form")
      .send({ csrf: csrfOf(page.text), back: "/admin/held", id: held?.id });
    expect(approved.status).toBe(303);
    expect(approved.headers["location"]).toContain("held_thread_approved");
    expect((await mirrorOf(A, first))?.comment).toContain("first words from a new server");
    expect((await agent.get("/admin/held")).text).toContain("No threads from the fediverse wait");
  });

  it("lets staff of another board neither see nor decide it; its moderator rejects it", async () => {
    const second = await thread("<p>second words from a new server</p>");
    const held = (await A.services.federation?.listHeld("q"))?.find((h) => h.objectId === second);
    const other = await signIn(A.app, "other", PASSWORD);
    const otherPage = await other.agent.get("/admin/held");
    expect(otherPage.text).not.toContain("second words");
    const refused = await other.agent
      .post("/admin/held/reject")
      .type("form")
      .send({ csrf: csrfOf(otherPage.text), back: "/admin/held", id: held?.id });
    expect(refused.status).toBe(404);
    expect(await A.services.federation?.listHeld("q")).toHaveLength(1);

    const { agent } = await signIn(A.app, "owner", PASSWORD);
    const page = await agent.get("/admin/held");
    const rejected = await agent
      .post("/admin/held/reject")
      .type("form")
      .send({ csrf: csrfOf(page.text), back: "/admin/held", id: held?.id });
    expect(rejected.status).toBe(303);
    expect(await A.services.federation?.listHeld("q")).toEqual([]);
    expect(await mirrorOf(A, second)).toBeNull();
  });
});
