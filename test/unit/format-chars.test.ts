import { describe, expect, it } from "vitest";
import { stripFormatChars } from "../../server/domain/format-chars.js";
import { normalizeComment, plainTextPreview } from "../../server/domain/markup.js";
import { displayName } from "../../server/services/posting.js";

describe("stripFormatChars", () => {
  it("removes bidi overrides, embeddings, isolates, marks and zero-width characters", () => {
    const spoof = "a\u202Eb\u202Ac\u202Bd\u202Ce\u202Df\u2066g\u2067h\u2068i\u2069j\u200Ek\u200Fl\u061Cm";
    expect(stripFormatChars(spoof)).toBe("abcdefghijklm");
    expect(stripFormatChars("ad\u200Bmin\uFEFF\u2060\u00AD")).toBe("admin");
    // Tag characters can smuggle invisible ASCII.
    expect(stripFormatChars("hi\u{E0041}\u{E0042}")).toBe("hi");
  });

  it("keeps the joiner inside emoji sequences and the non-joiner between letters", () => {
    const family = "👨\u200D👩\u200D👧";
    const cook = "👩🏽\u200D🍳";
    const rainbow = "🏳\uFE0F\u200D🌈";
    expect(stripFormatChars(family)).toBe(family);
    expect(stripFormatChars(cook)).toBe(cook);
    expect(stripFormatChars(rainbow)).toBe(rainbow);
    expect(stripFormatChars("می\u200Cخواهم")).toBe("می\u200Cخواهم");
    // Anywhere else they go.
    expect(stripFormatChars("a\u200D👍 \u200D")).toBe("a👍 ");
    expect(stripFormatChars("\u200Cword 1\u200C2")).toBe("word 12");
  });

  it("leaves text without format characters as it is", () => {
    const text = "Plain text, ünïcödé, 日本語, עברית, العربية";
    expect(stripFormatChars(text)).toBe(text);
  });

  it("applies to comments, their previews and file names", () => {
    expect(normalizeComment("evil\u202Etxt.exe\nnext")).toBe("eviltxt.exe\nnext");
    expect(plainTextPreview("x\u2066y\u2069z", 10)).toBe("xyz");
    expect(displayName("photo\u202Egpj.exe")).toBe("photogpj");
    expect(displayName("\u202E\u200B.png")).toBe("image");
  });
});
