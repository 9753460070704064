import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../server/paths.js";
import { AS, CLI, EnforcementScene, type Json } from "../support/enforcement-scene.js";
import { FakePeer, postSigned } from "../support/fake-peer.js";
import type { TestInstance } from "../support/instance.js";

const FLAG_FIXTURE = join(
  projectRoot(),
  "..",
  "shared",
  "fixtures",
  "activitypub",
  "mastodon",
  "activities",
  "flag.json",
);
const haveFlag = existsSync(FLAG_FIXTURE);

/*
 * Domain rules on reports: a Mastodon Flag filed in the reports queue, and none from a domain whose
 * reports are rejected.
 */

describe("domain rules at every federation boundary", () => {
  const scene = new EnforcementScene();
  const { inbox } = scene;
  let t: TestInstance;
  let good: FakePeer;

  beforeAll(async () => {
    await scene.start();
    ({ t, good } = scene);
  });
  afterAll(() => scene.stop());

  describe("reports", () => {
    it.skipIf(!haveFlag)(
      "files a Mastodon Flag naming our posts in the reports queue (needs ../shared/fixtures; skipped without)",
      async () => {
        const op = await t.services.posting.createThread({ board: "b", comment: "reported", ip: "192.0.2.8" });
        const reply = await t.services.posting.createReply({
          board: "b",
          threadNo: op.no,
          comment: "me too",
          ip: "192.0.2.9",
        });
        const mod = good.actor("mod", { type: "Application" });
        // The fixture as Mastodon sent it, its hosts mapped to the fake peer and to this instance.
        const text = readFileSync(FLAG_FIXTURE, "utf8")
          .replaceAll("https://mastodon.example/actor", mod.id)
          .replaceAll("https://mastodon.example", good.url)
          .replaceAll("https://example.com/users/1", `${t.url}/ap/anonymous`)
          .replaceAll("https://example.com/posts/380590", `${t.url}/b/thread/${op.no}`)
          .replaceAll("https://example.com/posts/380591", `${t.url}/b/post/${reply.no}`);
        const flag = JSON.parse(text) as Json;
        const res = await postSigned(`${t.url}/ap/actor/inbox`, flag, mod);
        expect(res.status).toBe(202);
        expect(res.body["title"]).toBe("Accepted");
        const open = (await t.services.store.reports.listOpen(["b"])).filter((r) => r.reason.includes("127.0.0.2"));
        expect(open.map((r) => r.postNo).sort()).toEqual([op.no, reply.no].sort());
        expect(open[0]?.reason).toMatch(/Please take a look at this user and their posts/);
        // The same Flag again (a retry) files nothing more.
        await postSigned(`${t.url}/ap/actor/inbox`, { ...flag, id: `${flag["id"]}-again` }, mod);
        expect(
          (await t.services.store.reports.listOpen(["b"])).filter((r) => r.reason.includes("127.0.0.2")),
        ).toHaveLength(2);
      },
    );

    it("drops a Flag from a domain whose reports are rejected: 202 and nothing stored", async () => {
      const quiet = await FakePeer.start("127.0.0.6");
      try {
        await t.services.defederation.createBlock({ domain: "127.0.0.6", severity: "noop", rejectReports: true }, CLI);
        const troll = quiet.actor("troll");
        const op = await t.services.posting.createThread({ board: "b", comment: "target", ip: "192.0.2.10" });
        const flag = {
          "@context": AS,
          id: `${quiet.url}/flags/1`,
          type: "Flag",
          actor: troll.id,
          content: "mass report",
          object: [`${t.url}/b/thread/${op.no}`],
        };
        const res = await postSigned(inbox(), flag, troll);
        expect(res.status).toBe(202);
        expect(res.body["title"]).toBe("Ignored");
        const open = await t.services.store.reports.listOpen(["b"]);
        expect(open.filter((r) => r.postNo === op.no)).toEqual([]);
      } finally {
        await quiet.close();
      }
    });
  });
});
