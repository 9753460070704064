import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DomainError } from "../../server/domain/errors.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

/*
 * Posting cooldowns as two processes on one store would meet them: two instances, each with its own
 * connection to one SQLite file, and one clock.
 */

function refusal(outcome: PromiseSettledResult<unknown>): DomainError | null {
  if (outcome.status === "fulfilled") return null;
  const err: unknown = outcome.reason;
  if (err instanceof DomainError) return err;
  throw err;
}

describe("posting cooldowns across two instances on one store", () => {
  let dataDir: string;
  let a: TestInstance;
  let b: TestInstance;
  let op: number;
  let now = Date.UTC(2030, 0, 1);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "atoll-cooldowns-"));
    a = await startTestInstance({ RATE_LIMIT: "on" }, { dataDir, clock: () => now });
    b = await startTestInstance({ RATE_LIMIT: "on" }, { dataDir, clock: () => now });
    await a.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
    op = (await a.services.posting.createThread({ board: "b", comment: "op", ip: "198.51.100.1" })).no;
  });
  afterAll(async () => {
    await a.stop();
    await b.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const reply = (t: TestInstance, ip: string, comment: string, file?: Buffer) =>
    t.services.posting.createReply({
      board: "b",
      threadNo: op,
      comment,
      ip,
      file: file ? { buffer: file, originalName: "x.jpg" } : null,
    });

  it("lets exactly one of two replies sent at the same instant to both through", async () => {
    for (let round = 0; round < 5; round++) {
      const ip = `203.0.113.${round + 1}`;
      const outcomes = await Promise.allSettled([reply(a, ip, "from a"), reply(b, ip, "from b")]);
      const refused = outcomes.map(refusal).filter((r) => r !== null);
      expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
      expect(refused).toHaveLength(1);
      expect(refused[0]?.kind).toBe("rate_limited");
      expect(refused[0]?.extra).toEqual({ retry_after: 10 });
    }
    // Another address is not held back.
    expect((await reply(b, "203.0.113.99", "someone else")).threadNo).toBe(op);
  });

  it("gives the slot back when the post fails, so the next attempt on either goes through", async () => {
    const failed = await Promise.allSettled([reply(a, "203.0.113.50", "broken", Buffer.from("not an image"))]);
    expect(refusal(failed[0]!)?.kind).toBe("unsupported_media");
    expect((await reply(b, "203.0.113.50", "fixed")).comment).toBe("fixed");
    // That one holds its slot: the other instance refuses until the cooldown is over.
    const early = await Promise.allSettled([reply(a, "203.0.113.50", "too soon")]);
    expect(refusal(early[0]!)?.extra).toEqual({ retry_after: 10 });
    now += 10_000;
    expect((await reply(a, "203.0.113.50", "in time")).comment).toBe("in time");
  });

  it("counts a stored post without a slot (as from before slots were shared) as the last one", async () => {
    const ip = "203.0.113.77";
    const ipHash = a.services.posting.hashIp(ip);
    await a.services.store.posts.createReply(
      "b",
      op,
      {
        createdAt: now - 4_000,
        name: "Anonymous",
        trip: null,
        capcode: null,
        subject: null,
        comment: "earlier",
        html: "earlier",
        quotes: [],
        posterId: null,
        sage: false,
        file: null,
        fileDeleted: false,
        ipHash,
        passwordHash: null,
        apId: null,
        fediActor: null,
      },
      { bumpLimit: 300, imageLimit: 150 },
    );
    const early = await Promise.allSettled([reply(b, ip, "too soon")]);
    expect(refusal(early[0]!)?.extra).toEqual({ retry_after: 6 });
  });
});
