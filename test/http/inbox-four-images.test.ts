import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AS, InboxScene, type Json, PUBLIC } from "../support/inbox-scene.js";
import { makeJpeg } from "../support/instance.js";

/*
 * A Mastodon status with four images, shaped as Mastodon sends it (one Document per image, with alt
 * text, blurhash and focal point, its URL under media_attachments/.../original/): all four are kept,
 * in order, and an Update that lists three of them drops only the one it left out.
 */

const WIDTHS = [110, 120, 130, 140];

describe("a Mastodon Note with four images", () => {
  const scene = new InboxScene();
  let urls: string[];
  let noteJson: Json;

  beforeAll(async () => {
    await scene.start();
    urls = WIDTHS.map(
      (_, i) => `${scene.peer.url}/system/media_attachments/files/113/306/826/original/a${i}f2ab2334.jpg`,
    );
    for (const [i, w] of WIDTHS.entries()) {
      scene.peer.serve(new URL(urls[i]!).pathname, await makeJpeg(w, 90), { type: "image/jpeg" });
    }
  });
  afterAll(() => scene.stop());

  const documentOf = (url: string, i: number): Json => ({
    type: "Document",
    mediaType: "image/jpeg",
    url,
    name: `picture ${i + 1}`,
    blurhash: "USQv:h-W-qI-^,W;RPs=^-R%NZxbo#sDobSc",
    focalPoint: [0.0, 0.0],
    width: WIDTHS[i],
    height: 90,
  });

  const widthsOf = (p: Json | undefined) => [
    p?.["w"],
    ...((p?.["extra_files"] as Json[] | undefined) ?? []).map((f) => f["w"]),
  ];

  it("keeps all four images in the order the Note lists them", async () => {
    noteJson = scene.note(scene.alice, {
      "@context": [AS, { blurhash: "toot:blurhash", focalPoint: { "@container": "@list", "@id": "toot:focalPoint" } }],
      inReplyTo: `${scene.t.url}/b/thread/${scene.op}`,
      to: [PUBLIC],
      content: "<p>four pictures</p>",
      sensitive: false,
      attachment: urls.map(documentOf),
    });
    const res = await scene.send(scene.create(scene.alice, noteJson), scene.alice);
    expect(res.status).toBe(202);
    expect(res.body["title"]).toBe("Accepted");
    const reply = (await scene.thread(scene.op)).find((p) => p["ap_id"] === noteJson["id"]);
    expect(widthsOf(reply)).toEqual(WIDTHS);
    const names = [reply?.["filename"], ...((reply?.["extra_files"] as Json[]) ?? []).map((f) => f["filename"])];
    expect(names).toEqual(["a0f2ab2334", "a1f2ab2334", "a2f2ab2334", "a3f2ab2334"]);
  });

  it("drops only the image an Update of the Note no longer lists", async () => {
    const edited = { ...noteJson, attachment: urls.map(documentOf).filter((_, i) => i !== 1) };
    const update = { "@context": AS, id: scene.fresh("update"), type: "Update", actor: scene.alice.id, object: edited };
    expect((await scene.send(update, scene.alice)).status).toBe(202);
    const reply = (await scene.thread(scene.op)).find((p) => p["ap_id"] === noteJson["id"]);
    expect(widthsOf(reply)).toEqual([110, 130, 140]);
  });
});
