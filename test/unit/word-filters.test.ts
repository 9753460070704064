import { describe, expect, it } from "vitest";
import { CompiledFilters, compileFilterRegex, type FilterFields } from "../../server/domain/filter-matching.js";
import { foldText } from "../../server/domain/filter-text.js";
import { checkedFilterFields, type WordFilter } from "../../server/domain/word-filters.js";

let seq = 0;
const rule = (over: Partial<WordFilter>): WordFilter => ({
  id: `f${++seq}`,
  pattern: "spam",
  regex: false,
  board: null,
  action: "reject",
  replacement: null,
  scope: "both",
  createdAt: 0,
  updatedAt: 0,
  ...over,
});
const comment = (text: string): FilterFields => ({ name: "", subject: "", comment: text, filename: "" });

describe("word filter folding", () => {
  const spam = new CompiledFilters([rule({ pattern: "spam" })]);
  const rejects = (text: string) => spam.check("b", "local", comment(text)).action === "reject";

  it("matches whatever the case, width or accents", () => {
    expect(rejects("SPAM")).toBe(true);
    expect(rejects("Buy SpAm now")).toBe(true);
    expect(rejects("ｓｐａｍ")).toBe(true);
    expect(rejects("spàm")).toBe(true);
    expect(rejects("𝐬𝐩𝐚𝐦")).toBe(true);
  });

  it("sees through zero-width and other format characters", () => {
    expect(rejects("sp\u200bam")).toBe(true);
    expect(rejects("s\u200dp\u2060a\ufeffm")).toBe(true);
    expect(rejects("s\u202ep\u202cam")).toBe(true);
  });

  it("folds Cyrillic and Greek look-alikes to Latin letters", () => {
    expect(rejects("ѕрам")).toBe(true); // Cyrillic ѕ р а м
    expect(rejects("SРАМ")).toBe(true); // Cyrillic capitals
    expect(rejects("sραm")).toBe(true); // Greek rho, alpha
  });

  it("folds Armenian, Cherokee and Lisu look-alikes, small capitals and IPA letters", () => {
    const scam = new CompiledFilters([rule({ pattern: "scam" }), rule({ pattern: "hoax" })]);
    const caught = (text: string) => scam.check("b", "local", comment(text)).action === "reject";
    const disguises = {
      armenian: "h\u0585ax", // Armenian o
      "armenian capital": "h\u0555ax", // Armenian capital O, lowercased to o
      cherokee: "\u13DA\u13DF\u13AAM", // Cherokee S C A, Latin M
      "cherokee small letters": "\u13DA\u13DF\u13AAM".toLowerCase(),
      lisu: "\uA4E7\uA4F3\uA4EE\uA4EB", // Lisu H O A X
      "small capitals": "\uA731\u1D04\u1D00\u1D0D", // ꜱᴄᴀᴍ
      ipa: "sc\u0251m", // IPA script a
      mixed: "S\u1D04\u0430\uA4DF", // Latin S, small capital c, Cyrillic a, Lisu M
    };
    const missed = Object.entries(disguises).filter(([, text]) => !caught(`a ${text} here`));
    expect(missed).toEqual([]);
  });

  it("leaves ordinary Russian, Greek and Armenian text from matching unrelated English words", () => {
    const words = ["cop", "hot", "pop", "ham", "hyena", "mope", "coke", "taxi", "bank", "deal", "nun", "sun", "poop"];
    const english = new CompiledFilters(words.map((pattern) => rule({ pattern })));
    const texts = [
      "Привет, как дела? Сегодня хорошая погода, пойдём гулять в парк.",
      "Москва — столица России, большой город на реке Москве.",
      "Καλημέρα, τι κάνεις; Σήμερα ο καιρός είναι ωραίος και πάμε βόλτα.",
      "Η Αθήνα είναι η πρωτεύουσα της Ελλάδας.",
      "Բարև, ինչպես ես: Այսօր եղանակը լավն է, գնանք զբոսնելու:",
      "Երևանը Հայաստանի մայրաքաղաքն է:",
    ];
    const matched = texts.filter((t) => english.check("b", "local", comment(t)).action !== "pass");
    expect(matched).toEqual([]);
  });

  it("folds leetspeak digits and signs", () => {
    expect(rejects("5p4m")).toBe(true);
    expect(rejects("$p@m")).toBe(true);
    const kill = new CompiledFilters([rule({ pattern: "leet tool" })]);
    expect(kill.check("b", "local", comment("a 1337 t00l")).action).toBe("reject");
    expect(kill.check("b", "local", comment("a L337 7OOL!")).action).toBe("reject");
  });

  it("matches plain words on word boundaries only", () => {
    expect(rejects("spammer")).toBe(false);
    expect(rejects("antispam")).toBe(false);
    expect(rejects("(spam)")).toBe(true);
    expect(rejects("spam.")).toBe(true);
    expect(rejects("nothing here")).toBe(false);
  });

  it("keeps a map back to the original text", () => {
    const f = foldText("A\u200bＢé");
    expect(f.text).toBe("abe");
    expect(f.original(0, 1)).toEqual({ start: 0, end: 1 });
    expect(f.original(1, 3)).toEqual({ start: 2, end: 4 });
    expect(foldText("Plain ASCII").original(6, 11)).toEqual({ start: 6, end: 11 });
  });
});

describe("word filter actions", () => {
  it("replaces every match in the original text and keeps the rest", () => {
    const filters = new CompiledFilters([rule({ pattern: "bad word", action: "replace", replacement: "[x]" })]);
    const v = filters.check("b", "local", {
      name: "BAD  W0RD",
      subject: "a bad word",
      comment: "one b\u200bad word, two ＢＡＤ ＷＯＲＤ.",
      filename: "bad-word",
    });
    expect(v.action).toBe("replace");
    expect(v.fields).toEqual({ name: "[x]", subject: "a [x]", comment: "one [x], two [x].", filename: "[x]" });
  });

  it("puts reject over hold over replace, and names the deciding filter", () => {
    const r = rule({ pattern: "worst" });
    const h = rule({ pattern: "worse", action: "hold" });
    const p = rule({ pattern: "bad", action: "replace", replacement: "" });
    const filters = new CompiledFilters([p, h, r]);
    expect(filters.check("b", "local", comment("bad worse")).action).toBe("hold");
    expect(filters.check("b", "local", comment("bad worse")).rule?.id).toBe(h.id);
    expect(filters.check("b", "local", comment("worse worst bad")).rule?.id).toBe(r.id);
    const v = filters.check("b", "local", comment("bad ok"));
    expect(v).toMatchObject({ action: "replace", fields: { comment: " ok" } });
  });

  it("applies board filters on their board only and instance filters everywhere", () => {
    const filters = new CompiledFilters([rule({ pattern: "alpha", board: "a" }), rule({ pattern: "omega" })]);
    expect(filters.check("a", "local", comment("alpha")).action).toBe("reject");
    expect(filters.check("b", "local", comment("alpha")).action).toBe("pass");
    expect(filters.check("b", "local", comment("omega")).action).toBe("reject");
  });

  it("applies each filter to the origins its scope names", () => {
    const filters = new CompiledFilters([
      rule({ pattern: "here", scope: "local" }),
      rule({ pattern: "there", scope: "federated" }),
      rule({ pattern: "everywhere", scope: "both" }),
    ]);
    const action = (o: "local" | "federated", t: string) => filters.check("b", o, comment(t)).action;
    expect([action("local", "here"), action("federated", "here")]).toEqual(["reject", "pass"]);
    expect([action("local", "there"), action("federated", "there")]).toEqual(["pass", "reject"]);
    expect([action("local", "everywhere"), action("federated", "everywhere")]).toEqual(["reject", "reject"]);
  });
});

describe("word filter regular expressions", () => {
  it("match the folded text, case-insensitively, and replace what they match", () => {
    const filters = new CompiledFilters([
      rule({ pattern: "buy\\s+cheap\\s+\\w+", regex: true, action: "replace", replacement: "[ad]" }),
      rule({ pattern: "^https?://evil\\.example", regex: true }),
    ]);
    const v = filters.check("b", "local", comment("Please BUY   CHEAP pills now"));
    expect(v.fields.comment).toBe("Please [ad] now");
    expect(filters.check("b", "local", comment("http://EVIL.example/x")).action).toBe("reject");
    expect(filters.check("b", "local", comment("see http://evil.example")).action).toBe("pass");
  });

  it("run in linear time where a backtracking engine would not finish", () => {
    const filters = new CompiledFilters([
      rule({ pattern: "(a+)+$", regex: true }),
      rule({ pattern: "(x|xx)+y", regex: true }),
    ]);
    // JavaScript's RegExp needs about 2^n steps for these; RE2 answers at once.
    const v = filters.check("b", "local", comment(`${"a".repeat(50_000)}!`));
    expect(v.action).toBe("pass");
    expect(filters.check("b", "local", comment(`${"x".repeat(50_000)}z`)).action).toBe("pass");
    expect(filters.check("b", "local", comment(`${"x".repeat(50_000)}y`)).action).toBe("reject");
  });

  it("refuses patterns RE2 cannot run, with the reason", () => {
    for (const bad of ["(a)\\1", "(?<=x)a", "[", "a{1001}"]) {
      expect(() => compileFilterRegex(bad)).toThrow(/RE2 syntax/);
    }
    expect(() =>
      checkedFilterFields({
        pattern: "",
        regex: false,
        board: null,
        action: "reject",
        replacement: null,
        scope: "both",
      }),
    ).toThrow(/pattern/);
    expect(() =>
      checkedFilterFields({
        pattern: "x",
        regex: false,
        board: null,
        action: "nuke",
        replacement: null,
        scope: "both",
      }),
    ).toThrow(/action/);
  });
});
