import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DomainError } from "../../server/domain/errors.js";
import { CaptchaService } from "../../server/services/captcha.js";
import { openSqliteStore } from "../../storage/sqlite/store.js";

async function refusal(f: () => Promise<unknown>): Promise<string> {
  try {
    await f();
  } catch (err) {
    if (err instanceof DomainError && err.kind === "captcha") return err.message;
    throw err;
  }
  throw new Error("expected a captcha refusal");
}

const dir = mkdtempSync(join(tmpdir(), "atoll-captcha-"));
const file = join(dir, "atoll.db");
// Two connections to one file, as two processes sharing a store have.
const stores = [openSqliteStore(file), openSqliteStore(file)];
afterAll(async () => {
  for (const s of stores) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the captcha", () => {
  let now = 1_700_000_000_000;
  const key = randomBytes(32);
  const captcha = new CaptchaService(key, () => now, stores[0]!.limits.tokens);
  const answer = (id: string) => captcha.answerOf(id)!;

  it("accepts each challenge's answer once, and refuses a wrong one, a forged id and an expired one", async () => {
    const id = captcha.create();
    expect(answer(id)).toMatch(/^[a-z2-8]{6}$/);
    expect(await captcha.verifyAny([id], ` ${answer(id).toUpperCase()} `)).toBe(id);
    expect(await refusal(() => captcha.verify(id, answer(id)))).toMatch(/already used/);

    const wrong = captcha.create();
    expect(await refusal(() => captcha.verify(wrong, "zzzzzz"))).toMatch(/wrong/);
    // Spent by the wrong answer: the right one no longer counts.
    expect(await refusal(() => captcha.verify(wrong, answer(wrong)))).toMatch(/already used/);

    expect(await refusal(() => captcha.verify("forged-id", "abcdef"))).toMatch(/not valid/);
    expect(await refusal(() => captcha.verify(undefined, "abcdef"))).toMatch(/Solve the captcha/);
    const late = captcha.create();
    now += 11 * 60 * 1000;
    expect(await captcha.usable([late])).toEqual([]);
    expect(await refusal(() => captcha.verify(late, answer(late)))).toMatch(/expired/);
  });

  it("takes the answer to any challenge a reader holds, spending only that one", async () => {
    const tabs = [captcha.create(), captcha.create(), captcha.create()];
    expect(await captcha.verifyAny(tabs, answer(tabs[1]!))).toBe(tabs[1]);
    expect(await captcha.usable(tabs)).toEqual([tabs[0], tabs[2]]);
    // Unusable ones among them are passed over, not held against the answer.
    const expired = captcha.create();
    now += 11 * 60 * 1000;
    const fresh = captcha.create();
    expect(await captcha.verifyAny([fresh, "forged-id", expired], answer(fresh))).toBe(fresh);
    // None usable: the reason given is the newest challenge's.
    expect(await refusal(() => captcha.verifyAny([fresh, expired], answer(fresh)))).toMatch(/already used/);
    // A wrong answer spends all the usable ones.
    const a = captcha.create();
    const b = captcha.create();
    expect(await refusal(() => captcha.verifyAny([a, b], "zzzzzz"))).toMatch(/wrong/);
    expect(await captcha.usable([a, b])).toEqual([]);
  });

  it("is single use across two instances on one store, also when both are answered at once", async () => {
    // Another process: the same instance secret, its own connection to the store.
    const other = new CaptchaService(key, () => now, stores[1]!.limits.tokens);
    const id = captcha.create();
    expect(await other.verify(id, answer(id))).toBeUndefined();
    expect(await refusal(() => captcha.verify(id, answer(id)))).toMatch(/already used/);
    expect(await captcha.usable([id])).toEqual([]);

    // A wrong answer on one spends the reader's challenges for the other too.
    const tabs = [captcha.create(), captcha.create()];
    expect(await refusal(() => other.verifyAny(tabs, "zzzzzz"))).toMatch(/wrong/);
    expect(await refusal(() => captcha.verifyAny(tabs, answer(tabs[0]!)))).toMatch(/already used/);

    for (let round = 0; round < 10; round++) {
      const raced = captcha.create();
      const outcomes = await Promise.allSettled([
        captcha.verify(raced, answer(raced)),
        other.verify(raced, answer(raced)),
      ]);
      expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
      const lost = outcomes.find((o) => o.status === "rejected");
      expect(String((lost?.reason as Error | undefined)?.message)).toMatch(/already used/);
    }
  });
});
