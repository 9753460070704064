import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DomainError } from "../../server/domain/errors.js";
import { CaptchaService } from "../../server/services/captcha.js";

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof DomainError && err.kind === "captcha") return err.message;
    throw err;
  }
  throw new Error("expected a captcha refusal");
}

describe("the captcha", () => {
  let now = 1_700_000_000_000;
  const captcha = new CaptchaService(randomBytes(32), () => now);
  const answer = (id: string) => captcha.answerOf(id)!;

  it("accepts each challenge's answer once, and refuses a wrong one, a forged id and an expired one", () => {
    const id = captcha.create();
    expect(answer(id)).toMatch(/^[a-z2-8]{6}$/);
    expect(captcha.verifyAny([id], ` ${answer(id).toUpperCase()} `)).toBe(id);
    expect(refusal(() => captcha.verify(id, answer(id)))).toMatch(/already used/);

    const wrong = captcha.create();
    expect(refusal(() => captcha.verify(wrong, "zzzzzz"))).toMatch(/wrong/);
    // Spent by the wrong answer: the right one no longer counts.
    expect(refusal(() => captcha.verify(wrong, answer(wrong)))).toMatch(/already used/);

    expect(refusal(() => captcha.verify("forged-id", "abcdef"))).toMatch(/not valid/);
    expect(refusal(() => captcha.verify(undefined, "abcdef"))).toMatch(/Solve the captcha/);
    const late = captcha.create();
    now += 11 * 60 * 1000;
    expect(captcha.usable(late)).toBe(false);
    expect(refusal(() => captcha.verify(late, answer(late)))).toMatch(/expired/);
  });

  it("takes the answer to any challenge a reader holds, spending only that one", () => {
    const tabs = [captcha.create(), captcha.create(), captcha.create()];
    expect(captcha.verifyAny(tabs, answer(tabs[1]!))).toBe(tabs[1]);
    expect(tabs.map((t) => captcha.usable(t))).toEqual([true, false, true]);
    // Unusable ones among them are passed over, not held against the answer.
    const expired = captcha.create();
    now += 11 * 60 * 1000;
    const fresh = captcha.create();
    expect(captcha.verifyAny([fresh, "forged-id", expired], answer(fresh))).toBe(fresh);
    // None usable: the reason given is the newest challenge's.
    expect(refusal(() => captcha.verifyAny([fresh, expired], answer(fresh)))).toMatch(/already used/);
    // A wrong answer spends all the usable ones.
    const a = captcha.create();
    const b = captcha.create();
    expect(refusal(() => captcha.verifyAny([a, b], "zzzzzz"))).toMatch(/wrong/);
    expect([captcha.usable(a), captcha.usable(b)]).toEqual([false, false]);
  });
});
