import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../server/services/logger.js";
import { InboxScene, PUBLIC } from "../support/inbox-scene.js";

/*
 * A federated post a board's rules refuse is answered with a Reject from the board to the author,
 * through the delivery queue, to a real peer on loopback: a Misskey-shaped thread that mentions a
 * board needing an image and has none, and a reply to a locked thread.
 */

const lines: Array<Record<string, unknown>> = [];
const scene = new InboxScene({
  logger: createLogger("info", (line) => lines.push(JSON.parse(line) as Record<string, unknown>)),
});
/** The info lines the inbox wrote about activity `id`. */
const logged = (id: unknown) => lines.filter((l) => l["level"] === "info" && l["id"] === id);

describe("federated posts a board refuses", () => {
  beforeAll(() => scene.start());
  afterAll(() => scene.stop());

  it("answers a mention thread without an image on an image board with a Reject to the sender", async () => {
    const { t, alice, peer } = scene;
    const pics = `${t.url}/ap/boards/pics`;
    const host = new URL(t.url).host;
    // As Misskey sends a note that starts a thread by mentioning the board: no name, text only.
    const note = {
      id: scene.fresh("notes"),
      type: "Note",
      attributedTo: alice.id,
      content: `<p><a href="${pics}" class="u-url mention">@pics@${host}</a> look at this</p>`,
      _misskey_content: `@pics@${host} look at this`,
      source: { content: `@pics@${host} look at this`, mediaType: "text/x.misskeymarkdown" },
      tag: [{ type: "Mention", href: pics, name: `@pics@${host}` }],
      to: [PUBLIC],
      cc: [`${alice.id}/followers`, pics],
      attachment: [],
    };
    const create = scene.create(alice, note);
    const res = await scene.send(create, alice);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ type: "urn:atoll:inbox:rejected", title: "Rejected" });
    expect(String(res.body["detail"])).toContain("needs an image");
    expect(await scene.postByApId(String(note.id))).toBeNull();

    const reject = await peer.waitFor((r) => r.body["type"] === "Reject");
    expect(reject.path).toBe(new URL(alice.inbox).pathname);
    expect(reject.body).toMatchObject({
      type: "Reject",
      actor: pics,
      to: [alice.id],
      inReplyTo: note.id,
      object: { id: create["id"], type: "Create", actor: alice.id, object: note.id },
    });
    expect(String(reject.body["summary"])).toContain("needs an image");
    expect(String(reject.body["content"])).toMatch(/^<p>.*needs an image.*<\/p>$/);
    // Signed by the board, as every delivery is.
    expect(String(reject.headers["signature"])).toContain(`keyId="${pics}#main-key"`);

    // One info line, with the reason, naming only what is public.
    const [line] = logged(create["id"]);
    expect(line).toMatchObject({
      msg: "inbox: rejected",
      type: "Create",
      actor: alice.id,
      domain: new URL(alice.id).hostname,
    });
    expect(String(line!["reason"])).toContain("needs an image");
    // No content, and no field for the sender's address (on loopback its domain is an address too).
    expect(JSON.stringify(line)).not.toContain("look at this");
    expect(Object.keys(line!).sort()).toEqual(["actor", "domain", "id", "level", "msg", "reason", "time", "type"]);

    // A redelivery of the same Create is already received: no second Reject.
    expect((await scene.send(create, alice)).body["title"]).toBe("Ignored");
    expect(logged(create["id"]).map((l) => l["msg"])).toEqual(["inbox: rejected", "inbox: ignored"]);
  });

  it("answers a reply to a locked thread with a Reject", async () => {
    const { t, alice, peer } = scene;
    const locked = (await t.services.posting.createThread({ board: "b", comment: "locked op", ip: "192.0.2.9" })).no;
    await t.services.store.posts.setThreadFlags("b", locked, { locked: true });
    const note = scene.note(alice, { inReplyTo: `${t.url}/b/thread/${locked}` });
    const res = await scene.send(scene.create(alice, note), alice);
    expect(res.body["title"]).toBe("Rejected");
    const reject = await peer.waitFor((r) => r.body["type"] === "Reject" && r.body["inReplyTo"] === note["id"]);
    expect(String(reject.body["summary"])).toContain("locked");
    expect(peer.received.filter((r) => r.body["type"] === "Reject")).toHaveLength(2);
  });

  it("logs one line for an accepted activity and one for a refused one, with the status and reason", async () => {
    const { t, alice, mallory } = scene;
    const good = scene.create(alice, scene.note(alice, { inReplyTo: `${t.url}/b/thread/${scene.op}` }));
    expect((await scene.send(good, alice)).status).toBe(202);
    expect(logged(good["id"])).toEqual([expect.objectContaining({ msg: "inbox: accepted", type: "Create" })]);
    // Signed by mallory for alice's activity: refused, and said so once.
    const forged = scene.create(alice, scene.note(alice));
    expect((await scene.send(forged, mallory)).status).toBe(401);
    expect(logged(forged["id"])).toEqual([
      expect.objectContaining({ msg: "inbox: refused", status: 401, type: "Create", actor: alice.id }),
    ]);
  });
});
