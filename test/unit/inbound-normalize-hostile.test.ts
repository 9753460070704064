import { describe, expect, it } from "vitest";
import { checkShape } from "../../federation/jsonld/loader.js";
import { DEFAULT_NORMALIZE_LIMITS, normalizeActivity, normalizeObject } from "../../federation/vocab/normalize.js";
import { urlProblem } from "../../federation/vocab/url.js";
import { DomainError } from "../../server/domain/errors.js";
import { growthRatio } from "../support/growth.js";
import { ACTOR, actor, create, note, object, ok, refused } from "../support/inbound-documents.js";

/* Normalizing hostile inbound documents: nesting, sizes, URLs and member names meant to do harm. */

describe("hostile input", () => {
  it("survives deep nesting without recursion trouble, and checkShape refuses it", () => {
    let doc: Record<string, unknown> = note();
    for (let i = 0; i < 100_000; i++) {
      doc = { id: `https://a.example/announce/${i}`, type: "Announce", actor: ACTOR, object: doc };
    }
    const a = normalizeActivity(doc);
    expect(a.ok).toBe(true);
    expect(() => checkShape(doc, { maxDepth: 32, maxKeys: 256, maxArrayLength: 4096, maxStringLength: 1e6 })).toThrow(
      /nesting is deeper than 32 levels at \$(\.object){32}/,
    );
    const deepArray = JSON.parse(`${"[".repeat(5000)}${"]".repeat(5000)}`);
    expect(normalizeObject(note({ url: deepArray, tag: deepArray, attachment: deepArray })).ok).toBe(true);
  });

  it("bounds huge arrays", async () => {
    const many = Array.from({ length: 200_000 }, (_, i) => `https://a.example/users/${i}`);
    expect(refused(normalizeActivity(create(note(), { to: many })))).toBe("to has more than 1000 recipients");
    expect(refused(normalizeActivity(create(many)))).toBe("object names more than 64 objects");
    const huge = (n: number) => {
      const urls = many.slice(0, n);
      return note({
        attachment: urls.map((url) => ({ type: "Image", url })),
        tag: urls.map((href) => ({ type: "Mention", href })),
        url: urls,
        attributedTo: [ACTOR, ...urls],
      });
    };
    const o = object(huge(many.length));
    // The work stops at the limits: sixteen times the elements take about as long, not sixteen times.
    const docs = new Map([12_500, 200_000].map((n) => [n, huge(n)]));
    expect(await growthRatio((n) => object(docs.get(n)), 12_500, { factor: 16 })).toBeLessThan(8);
    expect(o.attachment).toHaveLength(DEFAULT_NORMALIZE_LIMITS.maxAttachments);
    expect(o.tag).toHaveLength(DEFAULT_NORMALIZE_LIMITS.maxTags);
    expect(o.attributedTo).toBe(ACTOR);
    expect(() => checkShape(many, { maxDepth: 32, maxKeys: 256, maxArrayLength: 4096, maxStringLength: 1e6 })).toThrow(
      /an array of 200000 elements is longer than 4096 at \$/,
    );
  });

  it("refuses ids that are not absolute http(s) URLs, naming the field", () => {
    for (const id of [
      "ftp://a.example/1",
      "urn:uuid:1234",
      "/users/1",
      "tag:a.example,2024:1",
      "",
      "https://",
      "//a.example/1",
    ]) {
      expect(refused(normalizeObject(note({ id })))).toMatch(/^id /);
      expect(refused(normalizeActivity(create(note(), { actor: id })))).toMatch(/^actor /);
    }
    expect(refused(normalizeObject(note({ id: 42 })))).toBe("id is not a string");
    expect(refused(normalizeObject(note({ id: `https://a.example/${"x".repeat(3000)}` })))).toBe(
      "id is longer than 2048 characters",
    );
  });

  it("refuses javascript: and data: ids and leaves such links out", () => {
    for (const evil of [
      "javascript:alert(1)",
      "JaVaScRiPt:alert(1)",
      " javascript:alert(1)",
      "data:text/html,<script>",
    ]) {
      expect(refused(normalizeObject(note({ id: evil })))).toBe("id is not an absolute http(s) URL");
      const o = object(
        note({
          url: evil,
          attachment: [{ type: "Image", url: evil }],
          tag: [{ type: "Mention", href: evil }],
          quoteUrl: evil,
        }),
      );
      expect(o.url).toBeUndefined();
      expect(o.attachment).toEqual([]);
      expect(o.tag).toEqual([]);
      expect(o.quote).toBeUndefined();
    }
  });

  it("refuses credentials, whitespace and backslashes in ids", () => {
    const cases: Array<[string, string]> = [
      ["https://user:pass@a.example/1", "contains credentials"],
      ["https://user@a.example/1", "contains credentials"],
      ["https://user@[::1]:8443/1", "contains credentials"],
      ["https://a.example:8443@b.example/1", "contains credentials"],
      ["https://a.example/x y", "contains whitespace, control characters or a backslash"],
      ["https://a.example/x\n", "contains whitespace, control characters or a backslash"],
      ["https://good.example\\@evil.example/", "contains whitespace, control characters or a backslash"],
      ["https://a.example:99999/1", "is not a valid URL"],
      ["https://a.example:123456/1", "is not a valid URL"],
      ["https://a.example:8x/1", "is not a valid URL"],
      ["https://a.example:1:2/1", "is not a valid URL"],
    ];
    for (const [id, problem] of cases) {
      expect(refused(normalizeObject(note({ id })))).toBe(`id ${problem}`);
    }
  });

  it("accepts the unusual but valid ids real servers use", () => {
    for (const id of [
      "http://lemmy-alpha:8541/post/2",
      "http://127.0.0.1:65535/users/a",
      "https://a.example:/users/a",
      "https://[2001:db8::1]/users/1",
      "https://another_instance.gnusocial.test/activity/1",
      "https://pfefferle.org/post/#activity#activity",
      "https://pfefferle.org?c=148",
      "https://bücher.example/notes/1",
      "https://a.example/tags/日本語",
    ]) {
      expect(urlProblem(id, 2048)).toBeUndefined();
      expect(object(note({ id })).id).toBe(id);
    }
  });

  it("is not affected by prototype-pollution member names", () => {
    const json = JSON.parse(
      `{"__proto__": {"id": "https://evil.example/1", "polluted": true}, "type": "Note",
        "id": "https://a.example/1", "constructor": {"prototype": {"polluted": true}},
        "contentMap": {"__proto__": "<p>x</p>"}, "tag": [{"__proto__": {"type": "Mention"}, "href": "https://b.example/u"}]}`,
    );
    const o = object(json);
    expect(o.content).toBe("<p>x</p>");
    expect(o.tag).toEqual([]);
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(Object.keys(o)).not.toContain("__proto__");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // The id may only come from the document itself, never from a prototype.
    const inherited = Object.create({ id: "https://evil.example/1", type: "Note" });
    expect(refused(normalizeObject(inherited))).toBe("is not a JSON object");
    const noId = JSON.parse(`{"__proto__": {"id": "https://evil.example/1"}, "type": "Note"}`);
    expect(refused(normalizeObject(noId))).toBe("has no id");
    // checkShape refuses the names outright, before anything copies members around.
    const limits = { maxDepth: 32, maxKeys: 256, maxArrayLength: 4096, maxStringLength: 1e6 };
    expect(() => checkShape(json, limits)).toThrow(DomainError);
    expect(() => checkShape(json, limits)).toThrow(/the member name "__proto__" is not allowed at \$/);
  });

  it("bounds strings: content whole or refused, short text cut on a character boundary", () => {
    const limits = { ...DEFAULT_NORMALIZE_LIMITS, maxContentLength: 100, maxNameLength: 5 };
    expect(refused(normalizeObject(note({ content: "x".repeat(101) }), limits))).toBe(
      "content is longer than 100 characters",
    );
    expect(refused(normalizeObject(note({ content: undefined, contentMap: { en: "x".repeat(101) } }), limits))).toBe(
      "content is longer than 100 characters",
    );
    expect(refused(normalizeObject(note({ source: { content: "x".repeat(101) } }), limits))).toBe(
      "source.content is longer than 100 characters",
    );
    const o = ok(normalizeObject(note({ name: "abcd😀efg" }), limits));
    expect(o.name).toBe("abcd");
    expect(object(note({ mediaType: `text/${"x".repeat(300)}` })).mediaType).toBeUndefined();
    expect(
      actor({ id: ACTOR, type: "Person", inbox: `${ACTOR}/inbox`, preferredUsername: "x".repeat(300) }),
    ).toMatchObject({ preferredUsername: undefined });
  });

  it("checkShape refuses values that are not plain JSON", () => {
    const limits = { maxDepth: 8, maxKeys: 4, maxArrayLength: 4, maxStringLength: 8 };
    expect(() => checkShape({ a: 1, b: [true, null, "short"] }, limits)).not.toThrow();
    expect(() => checkShape({ a: Number.NaN }, limits)).toThrow(/a number is not finite at \$\.a/);
    expect(() => checkShape({ a: undefined }, limits)).toThrow(/a undefined is not a JSON value/);
    expect(() => checkShape({ a: () => 1 }, limits)).toThrow(/a function is not a JSON value/);
    expect(() => checkShape({ d: new Date() }, limits)).toThrow(/not a plain JSON object at \$\.d/);
    expect(() => checkShape({ a: 1, b: 2, c: 3, d: 4, e: 5 }, limits)).toThrow(/5 members has more than 4/);
    expect(() => checkShape({ s: "123456789" }, limits)).toThrow(/a string of 9 characters is longer than 8 at \$\.s/);
    expect(() => checkShape({ "a-b": [0, { "123456789": 1 }] }, limits)).toThrow(/member name is longer than 8/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => checkShape(cyclic, limits)).toThrow(/deeper than 8 levels/);
    try {
      checkShape({ s: "123456789" }, limits);
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).kind).toBe("too_large");
    }
  });
});
