import { describe, expect, it } from "vitest";
import { classicTripcode, MAX_NAME_LENGTH, parseNameField, secureTripcode } from "../../server/domain/tripcode.js";

const opts = { defaultName: "Anonymous", forcedAnon: false, secureSecret: "instance-secret" };

describe("classic tripcodes", () => {
  it("matches widely published tripcodes", () => {
    expect(parseNameField("#tea", opts)).toEqual({ name: "Anonymous", trip: "!WokonZwxw2" });
    expect(parseNameField("#faggot", opts).trip).toBe("!Ep8pui8Vw2");
    expect(parseNameField("#password", opts).trip).toBe("!ozOtJW9BFA");
  });

  // Expected values computed with the system crypt(3) (glibc, through Perl) from the same algorithm.
  it("derives the salt from the 2nd and 3rd characters, padded with H..", () => {
    expect(classicTripcode("a")).toBe("ZnBI2EKkq."); // salt "H."
    expect(classicTripcode("abc")).toBe("GmgU93SCyE"); // salt "bc"
  });

  it("maps salt punctuation onto letters and anything outside . to z onto dots", () => {
    expect(classicTripcode("a?b")).toBe("VTjjj4nGeo"); // salt "Fb"
    expect(classicTripcode("x[`y")).toBe(".hKlMr6Rq6"); // salt "af"
    expect(classicTripcode("x{}")).toBe("gF1oJYK3hw"); // salt ".."
  });

  it("HTML-escapes the password first, as futaba does", () => {
    expect(classicTripcode("a&b")).toBe("vbZwEe8/SY"); // crypt("a&amp;b", ".a")
    expect(classicTripcode("<3")).toBe("0JTVzlbXog"); // crypt("&lt;3", "lt")
    expect(classicTripcode('"hi"')).toBe("nmcPFWautE"); // crypt("&quot;hi&quot;", "qu")
  });

  it("only uses the first 8 bytes, as crypt(3) does", () => {
    expect(classicTripcode("longpassword")).toBe("XK69x/vEPo");
    expect(classicTripcode("longpass")).toBe("XK69x/vEPo");
  });

  it("encodes non-ASCII passwords as UTF-8", () => {
    expect(classicTripcode("é")).toBe("5wRCVc6R/w"); // crypt("\xc3\xa9", ".H")
    expect(classicTripcode("日本語").length).toBe(10);
  });

  it("keeps the name before the '#'", () => {
    expect(parseNameField("moot#tea", opts)).toEqual({ name: "moot", trip: "!WokonZwxw2" });
    expect(parseNameField("  moot  #tea", opts)).toEqual({ name: "moot", trip: "!WokonZwxw2" });
  });

  it("gives no tripcode for an empty password", () => {
    expect(parseNameField("moot#", opts)).toEqual({ name: "moot", trip: null });
    expect(parseNameField("#", opts)).toEqual({ name: "Anonymous", trip: null });
    expect(parseNameField("moot##", opts)).toEqual({ name: "moot", trip: null });
  });

  it("keeps a single '#' inside the password", () => {
    expect(parseNameField("x#a#b", opts).trip).toBe(`!${classicTripcode("a#b")}`);
  });
});

describe("secure tripcodes", () => {
  it("are !! and 10 characters that depend on the secret", () => {
    const a = parseNameField("anon##hunter2", opts);
    expect(a.name).toBe("anon");
    expect(a.trip).toMatch(/^!![A-Za-z0-9+/]{10}$/);
    expect(a.trip).toBe(`!!${secureTripcode("hunter2", "instance-secret")}`);
    expect(parseNameField("anon##hunter2", opts).trip).toBe(a.trip);
    expect(parseNameField("anon##hunter2", { ...opts, secureSecret: "other" }).trip).not.toBe(a.trip);
    expect(parseNameField("anon##hunter3", opts).trip).not.toBe(a.trip);
  });

  it("differ from the classic tripcode of the same password", () => {
    expect(parseNameField("##tea", opts).trip).not.toBe("!WokonZwxw2");
    expect(parseNameField("##tea", opts).name).toBe("Anonymous");
  });

  it("combine with a classic tripcode, classic first", () => {
    const both = parseNameField("name#tea##hunter2", opts);
    expect(both).toEqual({ name: "name", trip: `!WokonZwxw2!!${secureTripcode("hunter2", "instance-secret")}` });
    expect(parseNameField("#tea##", opts).trip).toBe("!WokonZwxw2");
  });

  it("need a secret", () => {
    expect(() => secureTripcode("x", "")).toThrow();
  });
});

describe("names", () => {
  it("uses the default name for an empty or blank name", () => {
    expect(parseNameField("", opts)).toEqual({ name: "Anonymous", trip: null });
    expect(parseNameField("   \t ", opts)).toEqual({ name: "Anonymous", trip: null });
  });

  it("strips the characters that mark tripcodes so none can be faked", () => {
    expect(parseNameField("moot !WokonZwxw2", opts)).toEqual({ name: "moot WokonZwxw2", trip: null });
    expect(parseNameField("◆fake", opts).name).toBe("fake");
    expect(parseNameField("!!!", opts).name).toBe("Anonymous");
  });

  it("drops control characters and collapses whitespace", () => {
    expect(parseNameField("a\u0000b\nc\u202fd  e", opts).name).toBe("a b c d e");
  });

  it("keeps HTML as plain text for the renderer to escape", () => {
    expect(parseNameField("<b>bold</b>", opts).name).toBe("<b>bold</b>");
  });

  it(`truncates names to ${MAX_NAME_LENGTH} characters without splitting a character`, () => {
    expect(parseNameField("x".repeat(150), opts).name).toHaveLength(MAX_NAME_LENGTH);
    const emoji = parseNameField("😀".repeat(150), opts).name;
    expect(Array.from(emoji)).toHaveLength(MAX_NAME_LENGTH);
    expect(emoji.endsWith("😀")).toBe(true);
  });

  it("forced anonymity drops names and tripcodes", () => {
    const forced = { ...opts, forcedAnon: true };
    expect(parseNameField("moot#tea", forced)).toEqual({ name: "Anonymous", trip: null });
    expect(parseNameField("##secure", forced)).toEqual({ name: "Anonymous", trip: null });
  });
});
