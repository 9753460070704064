import { describe, expect, it } from "vitest";
import { DomainError } from "../../server/domain/errors.js";
import { posterId, utcDay } from "../../server/domain/poster-id.js";

const secret = "poster-secret";
const ip = "0123456789abcdef0123456789abcdef";

describe("utcDay", () => {
  it("names the UTC day", () => {
    expect(utcDay(Date.UTC(2024, 0, 31, 23, 59, 59, 999))).toBe("2024-01-31");
    expect(utcDay(Date.UTC(2024, 1, 1, 0, 0, 0))).toBe("2024-02-01");
    expect(utcDay(0)).toBe("1970-01-01");
  });

  it("refuses a time that is not one", () => {
    expect(() => utcDay(Number.NaN)).toThrow(DomainError);
  });
});

describe("posterId", () => {
  it("is 8 characters of base64 without padding", () => {
    for (let n = 1; n < 200; n++) {
      expect(posterId(`${ip}${n}`, "b", n, "2024-05-01", secret)).toMatch(/^[A-Za-z0-9+/]{8}$/);
    }
  });

  it("is stable for one poster in one thread on one day", () => {
    expect(posterId(ip, "b", 100, "2024-05-01", secret)).toBe(posterId(ip, "b", 100, "2024-05-01", secret));
  });

  it("differs per thread, day, board, poster and secret", () => {
    const id = posterId(ip, "b", 100, "2024-05-01", secret);
    expect(posterId(ip, "b", 101, "2024-05-01", secret)).not.toBe(id);
    expect(posterId(ip, "b", 100, "2024-05-02", secret)).not.toBe(id);
    expect(posterId(ip, "g", 100, "2024-05-01", secret)).not.toBe(id);
    expect(posterId(`${ip.slice(0, -1)}0`, "b", 100, "2024-05-01", secret)).not.toBe(id);
    expect(posterId(ip, "b", 100, "2024-05-01", "other")).not.toBe(id);
  });

  it("refuses a malformed day or thread number", () => {
    expect(() => posterId(ip, "b", 1, "2024-5-1", secret)).toThrow(DomainError);
    expect(() => posterId(ip, "b", 1.5, "2024-05-01", secret)).toThrow(DomainError);
    expect(() => posterId(ip, "b", 1, "2024-05-01", "")).toThrow();
  });
});
