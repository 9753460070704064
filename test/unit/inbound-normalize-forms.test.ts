import { describe, expect, it } from "vitest";
import {
  AS_PUBLIC,
  DEFAULT_NORMALIZE_LIMITS,
  type NormalizedActivity,
  type NormalizedObject,
  normalizeActivity,
  normalizeActor,
  normalizeCollection,
  normalizeDocument,
  normalizeObject,
} from "../../federation/vocab/normalize.js";
import { ACTOR, activity, create, note, object, ok, refused } from "../support/inbound-documents.js";

/* Normalizing inbound documents: the compacted forms JSON-LD allows, nesting and collections. */

const embeddedNote = (a: NormalizedActivity) => a.object as NormalizedObject;

describe("compacted forms", () => {
  it("reads an actor sent as an id, an object, or a one-element array", () => {
    expect(activity(create(note(), { actor: ACTOR })).actor).toBe(ACTOR);
    expect(activity(create(note(), { actor: { id: ACTOR, type: "Person" } })).actor).toBe(ACTOR);
    expect(activity(create(note(), { actor: [ACTOR] })).actor).toBe(ACTOR);
    expect(activity(create(note(), { actor: [{ id: ACTOR }] })).actor).toBe(ACTOR);
  });

  it("refuses an activity without an actor, or naming several", () => {
    expect(refused(normalizeActivity(create(note(), { actor: undefined })))).toBe("has no actor");
    expect(refused(normalizeActivity(create(note(), { actor: [] })))).toBe("has no actor");
    expect(refused(normalizeActivity(create(note(), { actor: [ACTOR, "https://b.example/u"] })))).toMatch(
      /several actors/,
    );
  });

  it("reads recipients sent bare or as arrays, ids or objects", () => {
    const a = activity(
      create(note(), {
        to: AS_PUBLIC,
        cc: [`${ACTOR}/followers`, { id: "https://b.example/users/bob", type: "Person" }],
        bto: "https://c.example/users/carol",
        audience: "https://lemmy.example/c/main",
      }),
    );
    expect(a.to).toEqual([AS_PUBLIC]);
    expect(a.cc).toEqual([`${ACTOR}/followers`, "https://b.example/users/bob"]);
    expect(a.bto).toEqual(["https://c.example/users/carol"]);
    expect(a.bcc).toEqual([]);
    expect(a.audience).toEqual(["https://lemmy.example/c/main"]);
  });

  it("spells the public collection one way whatever the sender used", () => {
    for (const spelling of ["as:Public", "Public", AS_PUBLIC, "http://www.w3.org/ns/activitystreams#Public"]) {
      expect(activity(create(note(), { to: spelling })).to).toEqual([AS_PUBLIC]);
      expect(activity(create(note(), { to: [spelling, ACTOR] })).to).toEqual([AS_PUBLIC, ACTOR]);
      expect(object(note({ cc: spelling })).cc).toEqual([AS_PUBLIC]);
    }
  });

  it("leaves out recipients that are not ids", () => {
    const a = activity(create(note(), { to: ["javascript:alert(1)", 42, null, "tag:x", "/relative", ACTOR] }));
    expect(a.to).toEqual([ACTOR]);
  });

  it("reads the object as an id or embedded, and every id of an array (Flag)", () => {
    const byId = activity(create("https://social.example/users/alice/statuses/1"));
    expect(byId.object).toBe("https://social.example/users/alice/statuses/1");
    expect(byId.objectIds).toEqual(["https://social.example/users/alice/statuses/1"]);

    const embedded = activity(create());
    expect(embeddedNote(embedded)).toMatchObject({ kind: "object", type: "Note", content: "<p>hello</p>" });

    const flag = activity({
      id: "https://mod.example/reports/1",
      type: "Flag",
      actor: "https://mod.example/actor",
      object: ["https://b.example/users/bob", "https://b.example/posts/1"],
      content: "spam",
    });
    expect(flag.object).toBe("https://b.example/users/bob");
    expect(flag.objectIds).toEqual(["https://b.example/users/bob", "https://b.example/posts/1"]);
    expect(flag.content).toBe("spam");
  });

  it("reads types as bare terms, compact IRIs, full IRIs, or arrays", () => {
    expect(activity(create(note(), { type: "as:Create" })).type).toBe("Create");
    expect(activity(create(note(), { type: "https://www.w3.org/ns/activitystreams#Create" })).type).toBe("Create");
    expect(activity(create(note(), { type: ["http://schema.org#Thing", "Create"] })).type).toBe("Create");
    expect(object(note({ type: ["Note", "sc:CreativeWork"] })).type).toBe("Note");
    // An extension type is kept as sent.
    expect(activity(create("https://lemmy.example/post/1", { type: "Lock" })).type).toBe("Lock");
  });

  it("refuses documents of the wrong kind with a reason", () => {
    expect(refused(normalizeActivity(note()))).toBe("type Note is not an activity");
    expect(refused(normalizeObject(create()))).toBe("type Create is an activity, not an object");
    expect(refused(normalizeObject({ id: ACTOR, type: "Person", inbox: `${ACTOR}/inbox` }))).toMatch(/is an actor/);
    expect(refused(normalizeActor(note()))).toBe("type Note is not an actor");
    expect(refused(normalizeObject({ id: "https://a.example/1" }))).toBe("has no type");
    for (const notAnObject of [null, 42, "https://a.example/1", [note()], true]) {
      expect(refused(normalizeActivity(notAnObject))).toBe("is not a JSON object");
    }
  });

  it("normalizes a document by what its type says it is", () => {
    expect(normalizeDocument(create())).toMatchObject({ ok: true, kind: "activity" });
    expect(normalizeDocument(note())).toMatchObject({ ok: true, kind: "object" });
    expect(normalizeDocument({ id: ACTOR, type: "Service", inbox: `${ACTOR}/inbox` })).toMatchObject({
      ok: true,
      kind: "actor",
    });
    expect(normalizeDocument({ id: ACTOR, type: "Bot", inbox: `${ACTOR}/inbox` })).toMatchObject({ kind: "actor" });
    expect(normalizeDocument({ id: "https://a.example/1", type: "Lock", actor: ACTOR, object: ACTOR })).toMatchObject({
      kind: "activity",
    });
    expect(normalizeDocument({ id: "https://a.example/1", type: "ChatMessage", content: "hi" })).toMatchObject({
      kind: "object",
    });
    expect(normalizeDocument({ id: `${ACTOR}/outbox`, type: "OrderedCollection", orderedItems: [] })).toMatchObject({
      ok: true,
      kind: "collection",
    });
  });
});

describe("nesting and collections", () => {
  it("normalizes an Announce of a Create of a Page, as Lemmy communities send them", () => {
    const announce = activity({
      id: "https://lemmy.example/activities/announce/1",
      type: "Announce",
      actor: "https://lemmy.example/c/main",
      to: "as:Public",
      object: create(note({ type: "Page", name: "title" }), { actor: ACTOR }),
    });
    const inner = announce.object as NormalizedActivity;
    expect(inner).toMatchObject({ kind: "activity", type: "Create", actor: ACTOR });
    expect(inner.object).toMatchObject({ kind: "object", type: "Page", name: "title" });
  });

  it("keeps documents below the embedding limit as their ids", () => {
    const limits = { ...DEFAULT_NORMALIZE_LIMITS, maxEmbedDepth: 1 };
    const a = normalizeActivity(create(), limits);
    expect(a).toMatchObject({ ok: true, object: "https://social.example/users/alice/statuses/1" });
  });

  it("prefixes the reason of a refused embedded object with where it was", () => {
    expect(refused(normalizeActivity(create(note({ id: "ftp://x.example/1" }))))).toBe(
      "object: id is not an absolute http(s) URL",
    );
    expect(refused(normalizeActivity(create({ type: "Note" })))).toBe("object: has no id");
  });

  it("reads collection pages and drops malformed items without refusing the page", () => {
    const c = ok(
      normalizeCollection({
        id: `${ACTOR}/outbox`,
        type: "OrderedCollection",
        totalItems: 3,
        first: { type: "OrderedCollectionPage", next: `${ACTOR}/outbox?page=2`, orderedItems: [] },
        orderedItems: [create(), "https://social.example/x", { type: "Note", id: "javascript:alert(1)" }, "nope"],
      }),
    );
    expect(c.totalItems).toBe(3);
    expect(c.items).toHaveLength(2);
    expect(c.first).toMatchObject({ kind: "collection", id: `${ACTOR}/outbox`, next: `${ACTOR}/outbox?page=2` });
  });
});
