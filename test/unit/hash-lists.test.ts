import { describe, expect, it } from "vitest";
import { formatHashList, HashListError, parseHashList } from "../../server/domain/media-safety/hash-lists.js";
import type { MediaBan } from "../../server/domain/media-safety/media-bans.js";

const A = "a".repeat(64);
const B = "b".repeat(64);

const ban = (over: Partial<MediaBan>): MediaBan => ({
  id: "1",
  kind: "sha256",
  hash: A,
  distance: null,
  reason: "why",
  createdBy: "mod",
  createdAt: 0,
  source: "local",
  ...over,
});

describe("hash lists", () => {
  it("reads sha256 lines with text after the hash, skipping comments and counting bad lines", () => {
    const parsed = parseHashList(
      `# list\n\n${A.toUpperCase()}  known bad file\nsha256 ${B}\nnot-a-hash\n${A}\n`,
      "sha256",
    );
    expect(parsed.entries).toEqual([
      { kind: "sha256", hash: A, distance: null, reason: "known bad file" },
      { kind: "sha256", hash: B, distance: null, reason: "" },
    ]);
    expect(parsed.errors).toEqual([{ line: 5, message: "not 64 hexadecimal digits" }]);
  });

  it("reads PDQ lines with a quality, or written as this instance's export writes them", () => {
    const parsed = parseHashList(
      `${A},87\npdq ${B} 12 near copies\npdq ${"c".repeat(64)} 99\n${"d".repeat(64)},x\n`,
      "pdq",
    );
    expect(parsed.entries).toEqual([
      { kind: "pdq", hash: A, distance: 31, reason: "" },
      { kind: "pdq", hash: B, distance: 12, reason: "near copies" },
    ]);
    expect(parsed.errors.map((e) => e.line)).toEqual([3, 4]);
  });

  it("reads Atoll's JSON with reasons and retractions, which win over entries", () => {
    const text = JSON.stringify({
      type: "atoll-media-ban-list",
      version: 1,
      entries: [
        { kind: "sha256", hash: A, reason: "r" },
        { kind: "pdq", hash: B },
        { kind: "pdq", hash: A, distance: 5 },
        { kind: "md5", hash: A },
      ],
      retractions: [{ kind: "pdq", hash: A }],
    });
    const parsed = parseHashList(text, "atoll");
    expect(parsed.entries).toEqual([
      { kind: "sha256", hash: A, distance: null, reason: "r" },
      { kind: "pdq", hash: B, distance: 31, reason: "" },
    ]);
    expect(parsed.retracted).toEqual([{ kind: "pdq", hash: A }]);
    expect(parsed.errors).toHaveLength(1);
    expect(() => parseHashList("[]", "atoll")).toThrow(HashListError);
    expect(() => parseHashList("nope", "atoll")).toThrow(HashListError);
  });

  it("writes each format so that it reads back the same", () => {
    const bans = [ban({}), ban({ id: "2", kind: "pdq", hash: B, distance: 9, reason: "" })];
    expect(formatHashList(bans, "sha256")).toBe(`${A}\n`);
    expect(formatHashList(bans, "pdq")).toBe(`pdq ${B} 9\n`);
    expect(parseHashList(formatHashList(bans, "atoll"), "atoll").entries).toEqual([
      { kind: "sha256", hash: A, distance: null, reason: "why" },
      { kind: "pdq", hash: B, distance: 9, reason: "" },
    ]);
    expect(parseHashList(formatHashList(bans, "pdq"), "pdq").entries).toEqual([
      { kind: "pdq", hash: B, distance: 9, reason: "" },
    ]);
  });
});
