import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FederationContext } from "../../federation/context.js";
import { GuardedFetch } from "../../federation/http/guarded-fetch.js";
import { FederationIds } from "../../federation/ids.js";
import { InboxRefusal, TransientFailure } from "../../federation/inbox/errors.js";
import { Inbox } from "../../federation/inbox/inbox.js";
import { answersOnly } from "../../federation/inbox/outbox.js";
import { LocalKeys } from "../../federation/keys.js";
import { projectRoot } from "../../server/paths.js";
import { InboxScene } from "../support/inbox-scene.js";
import type { TestInstance } from "../support/instance.js";

/* Real activities other software sent, handled by the inbox after the signature check. */

describe("inbox over HTTP", () => {
  const scene = new InboxScene();
  const { postByApId } = scene;
  let t: TestInstance;
  let op: number;
  let boardId: string;

  beforeAll(async () => {
    await scene.start();
    ({ t, op, boardId } = scene);
  });
  afterAll(() => scene.stop());

  describe("real messages from other software, after the signature", () => {
    const root = join(projectRoot(), "..", "shared", "fixtures", "activitypub");
    const present = existsSync(root);
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".json") ? [join(dir, e.name)] : [],
      );
    const activities = present
      ? files(root)
          .filter((f) => f.split(sep).includes("activities"))
          .sort()
      : [];

    const absent = " (skipped: ../shared/fixtures/activitypub is absent)";

    it.skipIf(!present)(
      present
        ? `takes or refuses each of the ${activities.length} fixture activities with a reason, never crashing`
        : `takes or refuses every fixture activity${absent}`,
      async () => {
        // No peer is reachable: every fetch fails at once, as for a peer that is down.
        const offline = new GuardedFetch({
          allowPrivateAddresses: false,
          userAgent: "test",
          lookup: async () => {
            throw Object.assign(new Error("offline"), { code: "ENOTFOUND" });
          },
        });
        const ids = new FederationIds(t.url);
        const ctx = new FederationContext(t.services, ids, new LocalKeys(t.services.store.federation.keys), offline);
        const inbox = new Inbox(t.services, ctx, { outbox: answersOnly(t.services.store.federation.deliveries) });
        const outcomes: Record<string, string> = {};
        for (const file of activities) {
          const json = JSON.parse(readFileSync(file, "utf8"));
          const name = relative(root, file).split(sep).join("/");
          const signer = typeof json.actor === "string" ? json.actor : String(json.actor?.id ?? json.actor);
          try {
            const result = await inbox.handleVerified(json, signer);
            expect(result.detail.length).toBeGreaterThan(0);
            outcomes[name] = `202 ${result.outcome}: ${result.detail}`;
          } catch (err) {
            // A peer out of reach is not the activity's fault: it is kept and tried again later.
            if (err instanceof TransientFailure) {
              outcomes[name] = `later: ${err.message}`;
              continue;
            }
            expect(err, name).toBeInstanceOf(InboxRefusal);
            const refusal = err as InboxRefusal;
            expect(refusal.status).toBeLessThan(500);
            expect(refusal.message.length).toBeGreaterThan(0);
            outcomes[name] = `${refusal.status}: ${refusal.message}`;
          }
        }
        expect(Object.keys(outcomes)).toHaveLength(activities.length);
        if (process.env["SHOW_OUTCOMES"]) console.log(outcomes);
        // The follows address other servers' groups: nothing of ours is touched.
        expect(outcomes["mastodon/activities/follow.json"]).toMatch(/^202 ignored/);
        expect(outcomes["lemmy/activities/create_or_update/create_comment.json"]).toMatch(/^202 ignored/);
      },
    );

    it.skipIf(!present)(
      `takes a fixture Follow and Create aimed at a local board${present ? "" : absent}`,
      async () => {
        const load = (name: string) => JSON.parse(readFileSync(join(root, name), "utf8"));
        const offline = new GuardedFetch({
          allowPrivateAddresses: false,
          userAgent: "test",
          lookup: async () => {
            throw Object.assign(new Error("offline"), { code: "ENOTFOUND" });
          },
        });
        const ctx = new FederationContext(
          t.services,
          new FederationIds(t.url),
          new LocalKeys(t.services.store.federation.keys),
          offline,
        );
        const inbox = new Inbox(t.services, ctx, { outbox: answersOnly(t.services.store.federation.deliveries) });
        // A Mastodon Follow retargeted at /b/: the follower cannot be fetched now, so it is not
        // recorded, and the inbox is told to try again later rather than to drop it.
        const follow = { ...load("mastodon/activities/follow.json"), object: boardId };
        await expect(inbox.handleVerified(follow, follow.actor)).rejects.toBeInstanceOf(TransientFailure);
        expect(await t.services.store.federation.follows.get(follow.actor, boardId)).toBeNull();
        // A Lemmy comment retargeted as a reply to our thread: taken, with a handle made from its id.
        const lemmy = load("lemmy/activities/create_or_update/create_comment.json");
        lemmy.object.inReplyTo = `${t.url}/b/thread/${op}`;
        const created = await inbox.handleVerified(lemmy, lemmy.actor);
        expect(created.outcome).toBe("accepted");
        const ref = (await postByApId(lemmy.object.id))!;
        expect(await t.services.store.posts.getPost("b", ref.no)).toMatchObject({
          name: "lemmy_alpha@ds9.lemmy.ml",
          comment: "hello",
          fediActor: lemmy.actor,
        });
      },
    );
  });
});
