import { describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.js";
import { isPosterToken, posterToken, tokenPeriod } from "../../server/domain/poster-token.js";

const DAY = 86_400_000;
const SECRET = "s".repeat(64);
const T0 = Date.UTC(2026, 5, 1, 12);

describe("poster tokens", () => {
  it("is stable within a period and differs per board, per address and per secret", () => {
    const p = tokenPeriod(T0, 7);
    const token = posterToken("hash-1", "b", p, SECRET);
    expect(isPosterToken(token)).toBe(true);
    expect(posterToken("hash-1", "b", p, SECRET)).toBe(token);
    expect(posterToken("hash-1", "g", p, SECRET)).not.toBe(token);
    expect(posterToken("hash-2", "b", p, SECRET)).not.toBe(token);
    expect(posterToken("hash-1", "b", p, "t".repeat(64))).not.toBe(token);
    // Fields cannot run into one another: ("hash-1", "b") is not ("hash-1b", "").
    expect(posterToken("hash-1b", "", p, SECRET)).not.toBe(token);
  });

  it("keeps one token through a period and changes it when the period turns", () => {
    const start = tokenPeriod(T0, 7) * 7 * DAY;
    const p = tokenPeriod(start, 7);
    expect(tokenPeriod(start + 7 * DAY - 1, 7)).toBe(p);
    expect(tokenPeriod(start + 7 * DAY, 7)).toBe(p + 1);
    const token = posterToken("hash-1", "b", p, SECRET);
    expect(posterToken("hash-1", "b", tokenPeriod(start + 3 * DAY, 7), SECRET)).toBe(token);
    expect(posterToken("hash-1", "b", tokenPeriod(start + 7 * DAY, 7), SECRET)).not.toBe(token);
    // A one-day period turns daily.
    expect(tokenPeriod(start + DAY, 1)).toBe(tokenPeriod(start, 1) + 1);
  });

  it("needs a secret and a valid period", () => {
    expect(() => posterToken("hash-1", "b", 1, "")).toThrow(/secret/);
    expect(() => posterToken("hash-1", "b", -1, SECRET)).toThrow();
    expect(() => posterToken("hash-1", "b", 1.5, SECRET)).toThrow();
    expect(() => tokenPeriod(T0, 0)).toThrow();
  });

  it("tells a token from anything else", () => {
    expect(isPosterToken("AAAAAAAAAAAAAAAAAAAAAA")).toBe(true);
    expect(isPosterToken("short")).toBe(false);
    expect(isPosterToken("has space in it, so no")).toBe(false);
    expect(isPosterToken(42)).toBe(false);
  });

  it("takes its rotation from POSTER_TOKEN_ROTATION_DAYS, whole days, 7 by default", () => {
    expect(loadConfig({}).posterTokenRotationDays).toBe(7);
    expect(loadConfig({ POSTER_TOKEN_ROTATION_DAYS: "1" }).posterTokenRotationDays).toBe(1);
    expect(() => loadConfig({ POSTER_TOKEN_ROTATION_DAYS: "0" })).toThrow(/POSTER_TOKEN_ROTATION_DAYS/);
    expect(() => loadConfig({ POSTER_TOKEN_ROTATION_DAYS: "1.5" })).toThrow(/POSTER_TOKEN_ROTATION_DAYS/);
  });
});
