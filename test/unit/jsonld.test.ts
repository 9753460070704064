import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AS_CONTEXT,
  AS_PUBLIC,
  atollContextUrl,
  buildAtollContext,
  DATA_INTEGRITY_V1_CONTEXT,
  GOTOSOCIAL_CONTEXT,
  LEMMY_CONTEXT,
  LITEPUB_CONTEXT,
  preloadedContexts,
  SECURITY_V1_CONTEXT,
} from "../../federation/jsonld/contexts/index.js";
import { compactToAs, createDocumentLoader, expandActivity } from "../../federation/jsonld/loader.js";
import { DomainError } from "../../server/domain/errors.js";

const AS = "https://www.w3.org/ns/activitystreams#";
const SEC = "https://w3id.org/security#";
const LIMITS = { maxBytes: 1024 * 1024, maxDepth: 32 };

type Node = Record<string, unknown>;

/** The single node of an expanded document. */
async function expandOne(doc: unknown, loader = createDocumentLoader()): Promise<Node> {
  const expanded = (await expandActivity(doc, { ...LIMITS, documentLoader: loader })) as Node[];
  expect(expanded).toHaveLength(1);
  return expanded[0]!;
}

function values(node: unknown, iri: string): unknown[] {
  return ((node as Node)[iri] as unknown[] | undefined) ?? [];
}

function first(node: unknown, iri: string): Node {
  return values(node, iri)[0] as Node;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the preloaded document loader", () => {
  const loader = createDocumentLoader();

  it("refuses every URL outside the preloaded set, naming it", async () => {
    for (const url of [
      "https://evil.example/context.jsonld",
      "http://127.0.0.1:8080/ns",
      "https://www.w3.org/ns/activitystreams-evil",
      "https://www.w3.org/ns/activitystreams?x=1",
      "file:///etc/passwd",
      "ftp://www.w3.org/ns/activitystreams",
      "https://user:pass@www.w3.org/ns/activitystreams",
      "https://queer.example/schemas/litepub-0.1.jsonld?x=1",
      "not a url",
    ]) {
      await expect(loader(url)).rejects.toThrow(`JSON-LD context not preloaded: ${url}`);
      await expect(loader(url)).rejects.toBeInstanceOf(DomainError);
    }
  });

  it("never reaches the network", async () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    await expect(
      expandActivity({ "@context": "https://evil.example/ctx", id: "https://a.example/1", type: "Note" }, LIMITS),
    ).rejects.toThrow("JSON-LD context not preloaded: https://evil.example/ctx");
    await expandActivity({ "@context": [AS_CONTEXT, LEMMY_CONTEXT], id: "https://a.example/1" }, LIMITS);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it("serves the http, trailing-slash, fragment and file-name spellings of preloaded URLs", async () => {
    for (const url of [
      "https://www.w3.org/ns/activitystreams",
      "http://www.w3.org/ns/activitystreams",
      "https://www.w3.org/ns/activitystreams#",
      "https://www.w3.org/ns/activitystreams/",
      "https://www.w3.org/ns/activitystreams.jsonld",
    ]) {
      const remote = await loader(url);
      expect(remote.documentUrl).toBe(url);
      expect(JSON.stringify(remote.document)).toContain('"Hashtag":"as:Hashtag"');
    }
    for (const url of ["http://w3id.org/security/v1", "https://w3id.org/security/v1/", SECURITY_V1_CONTEXT]) {
      expect(JSON.stringify((await loader(url)).document)).toContain("publicKeyPem");
    }
  });

  it("serves Litepub under its own URL and every instance's /schemas/litepub-0.1.jsonld", async () => {
    const canonical = JSON.stringify((await loader(LITEPUB_CONTEXT)).document);
    for (const url of [
      "https://queer.hacktivis.me/schemas/litepub-0.1.jsonld",
      "http://pleroma.local:4000/schemas/litepub-0.1.jsonld",
      "http://litepub.social/litepub/context.jsonld",
    ]) {
      expect(JSON.stringify((await loader(url)).document)).toBe(canonical);
    }
  });

  it("hands out fresh copies, so one caller cannot alter what another loads", async () => {
    const a = (await loader(AS_CONTEXT)).document as { "@context": Record<string, unknown> };
    a["@context"].Note = "https://evil.example/Note";
    const b = (await loader(AS_CONTEXT)).document as { "@context": Record<string, unknown> };
    expect(b["@context"].Note).toBe("as:Note");
  });

  it("serves extra documents to its own loader only", async () => {
    const publicUrl = "https://atoll.example";
    const withAtoll = createDocumentLoader({ [atollContextUrl(publicUrl)]: buildAtollContext(publicUrl) });
    const doc = {
      "@context": [AS_CONTEXT, atollContextUrl(publicUrl)],
      id: "https://atoll.example/b/thread/1",
      type: "Note",
      postNumber: 1,
    };
    await expect(expandOne(doc, withAtoll)).resolves.toBeDefined();
    await expect(expandActivity(doc, { ...LIMITS, documentLoader: createDocumentLoader() })).rejects.toThrow(
      "not preloaded",
    );
  });

  it("refuses to be built with a context that is not an http(s) URL or not an object", () => {
    expect(() => createDocumentLoader({ "file:///x": {} })).toThrow(/not an http\(s\) context URL/);
    expect(() => createDocumentLoader({ "https://a.example/ctx": "text" })).toThrow(/not a JSON object/);
  });

  it("holds context documents that JSON-LD processing accepts", async () => {
    for (const [url] of preloadedContexts()) {
      const node = await expandOne({ "@context": url, id: "https://a.example/1", type: "Note", name: "n" });
      expect(node["@id"]).toBe("https://a.example/1");
    }
  });
});

describe("expanding with the preloaded contexts", () => {
  it("expands a Mastodon Create(Note) to the right IRIs", async () => {
    // Mastodon's shape, without the inline definitions it adds, so the terms come from the
    // preloaded ActivityStreams context alone.
    const node = await expandOne({
      "@context": [AS_CONTEXT, { toot: "http://joinmastodon.org/ns#", blurhash: "toot:blurhash" }],
      id: "https://mastodon.example/users/alice/statuses/1/activity",
      type: "Create",
      actor: "https://mastodon.example/users/alice",
      to: ["as:Public"],
      cc: ["https://mastodon.example/users/alice/followers"],
      object: {
        id: "https://mastodon.example/users/alice/statuses/1",
        type: "Note",
        attributedTo: "https://mastodon.example/users/alice",
        sensitive: true,
        summary: "cw",
        contentMap: { en: "<p>hello #cats</p>" },
        attachment: [
          { type: "Document", mediaType: "image/png", url: "https://mastodon.example/a.png", blurhash: "LEHV6nWB2y" },
        ],
        tag: [{ type: "Hashtag", href: "https://mastodon.example/tags/cats", name: "#cats" }],
      },
    });
    expect(node["@type"]).toEqual([`${AS}Create`]);
    expect(values(node, `${AS}actor`)).toEqual([{ "@id": "https://mastodon.example/users/alice" }]);
    expect(values(node, `${AS}to`)).toEqual([{ "@id": AS_PUBLIC }]);
    const note = first(node, `${AS}object`);
    expect(note["@type"]).toEqual([`${AS}Note`]);
    expect(values(note, `${AS}sensitive`)).toEqual([{ "@value": true }]);
    expect(values(note, `${AS}content`)).toEqual([{ "@value": "<p>hello #cats</p>", "@language": "en" }]);
    const tag = first(note, `${AS}tag`);
    expect(tag["@type"]).toEqual([`${AS}Hashtag`]);
    expect(values(tag, `${AS}href`)).toEqual([{ "@id": "https://mastodon.example/tags/cats" }]);
    const attachment = first(note, `${AS}attachment`);
    expect(values(attachment, `${AS}url`)).toEqual([{ "@id": "https://mastodon.example/a.png" }]);
    expect(values(attachment, "http://joinmastodon.org/ns#blurhash")).toEqual([{ "@value": "LEHV6nWB2y" }]);
  });

  it("expands an actor's key, inbox, migration and approval terms", async () => {
    const node = await expandOne({
      "@context": [AS_CONTEXT, SECURITY_V1_CONTEXT],
      id: "https://mastodon.example/users/alice",
      type: "Person",
      inbox: "https://mastodon.example/users/alice/inbox",
      endpoints: { sharedInbox: "https://mastodon.example/inbox" },
      manuallyApprovesFollowers: true,
      movedTo: "https://other.example/users/alice",
      alsoKnownAs: ["https://old.example/users/alice"],
      publicKey: {
        id: "https://mastodon.example/users/alice#main-key",
        owner: "https://mastodon.example/users/alice",
        publicKeyPem: "-----BEGIN PUBLIC KEY-----\n",
      },
    });
    expect(values(node, "http://www.w3.org/ns/ldp#inbox")).toEqual([
      { "@id": "https://mastodon.example/users/alice/inbox" },
    ]);
    expect(values(first(node, `${AS}endpoints`), `${AS}sharedInbox`)).toEqual([
      { "@id": "https://mastodon.example/inbox" },
    ]);
    expect(values(node, `${AS}manuallyApprovesFollowers`)).toEqual([{ "@value": true }]);
    expect(values(node, `${AS}movedTo`)).toEqual([{ "@id": "https://other.example/users/alice" }]);
    expect(values(node, `${AS}alsoKnownAs`)).toEqual([{ "@id": "https://old.example/users/alice" }]);
    const key = first(node, `${SEC}publicKey`);
    expect(key["@id"]).toBe("https://mastodon.example/users/alice#main-key");
    expect(values(key, `${SEC}owner`)).toEqual([{ "@id": "https://mastodon.example/users/alice" }]);
    expect(values(key, `${SEC}publicKeyPem`)).toEqual([{ "@value": "-----BEGIN PUBLIC KEY-----\n" }]);
  });

  it("keeps ordered collections in order", async () => {
    const node = await expandOne({
      "@context": AS_CONTEXT,
      id: "https://a.example/outbox",
      type: "OrderedCollection",
      orderedItems: ["https://a.example/2", "https://a.example/1"],
    });
    expect(values(node, `${AS}items`)).toEqual([
      { "@list": [{ "@id": "https://a.example/2" }, { "@id": "https://a.example/1" }] },
    ]);
  });

  it("reads Litepub, Lemmy, GoToSocial and data-integrity terms", async () => {
    const pleroma = await expandOne({
      "@context": [AS_CONTEXT, "https://pleroma.example/schemas/litepub-0.1.jsonld", { "@language": "und" }],
      id: "https://pleroma.example/objects/1",
      type: "ChatMessage",
      quoteUrl: "https://b.example/notes/1",
      directMessage: true,
    });
    expect(pleroma["@type"]).toEqual(["http://litepub.social/ns#ChatMessage"]);
    expect(values(pleroma, `${AS}quoteUrl`)).toEqual([{ "@value": "https://b.example/notes/1", "@language": "und" }]);
    expect(values(pleroma, "http://litepub.social/ns#directMessage")).toEqual([{ "@value": true }]);

    const lemmy = await expandOne({
      "@context": [LEMMY_CONTEXT, AS_CONTEXT],
      id: "https://lemmy.example/post/1",
      type: "Page",
      stickied: true,
      language: { identifier: "fr", name: "Français" },
      postingRestrictedToMods: false,
    });
    expect(values(lemmy, "https://join-lemmy.org/ns#stickied")).toEqual([{ "@value": true }]);
    expect(values(first(lemmy, "http://schema.org/inLanguage"), "http://schema.org/identifier")).toEqual([
      { "@value": "fr" },
    ]);

    const gts = await expandOne({
      "@context": [AS_CONTEXT, GOTOSOCIAL_CONTEXT],
      id: "https://gts.example/statuses/1",
      type: "Note",
      interactionPolicy: { canReply: { always: [AS_PUBLIC] } },
    });
    const policy = first(gts, "https://gotosocial.org/ns#interactionPolicy");
    expect(values(first(policy, "https://gotosocial.org/ns#canReply"), "https://gotosocial.org/ns#always")).toEqual([
      { "@id": AS_PUBLIC },
    ]);

    const signed = await expandOne({
      "@context": [AS_CONTEXT, DATA_INTEGRITY_V1_CONTEXT],
      id: "https://mitra.example/activities/1",
      type: "Accept",
      proof: {
        type: "DataIntegrityProof",
        cryptosuite: "eddsa-jcs-2022",
        proofPurpose: "assertionMethod",
        verificationMethod: "https://mitra.example/users/a#ed25519-key",
        proofValue: "z3abc",
      },
    });
    const proof = ((first(signed, `${SEC}proof`)["@graph"] as Node[]) ?? [])[0]!;
    expect(proof["@type"]).toEqual([`${SEC}DataIntegrityProof`]);
    expect(values(proof, `${SEC}proofPurpose`)).toEqual([{ "@id": `${SEC}assertionMethod` }]);
    expect(values(proof, `${SEC}cryptosuite`)).toEqual([{ "@value": "eddsa-jcs-2022" }]);
  });

  it("declares Atoll's imageboard terms under the instance's namespace", async () => {
    const publicUrl = "https://atoll.example";
    const context = buildAtollContext(`${publicUrl}/`);
    expect(context["@context"].atoll).toBe("https://atoll.example/ns/atoll#");
    expect(atollContextUrl(`${publicUrl}/`)).toBe("https://atoll.example/ns/atoll.jsonld");
    const loader = createDocumentLoader({ [atollContextUrl(publicUrl)]: context });
    const node = await expandOne(
      {
        "@context": [AS_CONTEXT, atollContextUrl(publicUrl)],
        id: "https://atoll.example/b/thread/7",
        type: "Note",
        postNumber: 7,
        tripcode: "!Ep8pui8Vw2",
        posterId: "aB3dE6fG",
        sage: true,
        capcode: "admin",
        board: "https://atoll.example/b/",
      },
      loader,
    );
    const ns = "https://atoll.example/ns/atoll#";
    expect(values(node, `${ns}postNumber`)).toEqual([
      { "@value": 7, "@type": "http://www.w3.org/2001/XMLSchema#nonNegativeInteger" },
    ]);
    expect(values(node, `${ns}tripcode`)).toEqual([{ "@value": "!Ep8pui8Vw2" }]);
    expect(values(node, `${ns}posterId`)).toEqual([{ "@value": "aB3dE6fG" }]);
    expect(values(node, `${ns}sage`)).toEqual([
      { "@value": true, "@type": "http://www.w3.org/2001/XMLSchema#boolean" },
    ]);
    expect(values(node, `${ns}capcode`)).toEqual([{ "@value": "admin" }]);
    expect(values(node, `${ns}board`)).toEqual([{ "@id": "https://atoll.example/b/" }]);
  });

  it("reads a document without @context as ActivityStreams", async () => {
    const node = await expandOne({
      id: "https://lemmy.example/activities/1",
      type: "Follow",
      actor: "https://a.example/u",
    });
    expect(node["@type"]).toEqual([`${AS}Follow`]);
    expect(values(node, `${AS}actor`)).toEqual([{ "@id": "https://a.example/u" }]);
  });

  it("compacts back to the ActivityStreams context", async () => {
    const doc = {
      "@context": [AS_CONTEXT, SECURITY_V1_CONTEXT],
      id: "https://a.example/activities/1",
      type: "Create",
      actor: "https://a.example/u",
      to: ["as:Public"],
      object: { id: "https://a.example/notes/1", type: "Note", sensitive: false, content: "hi" },
    };
    const compacted = await compactToAs(await expandActivity(doc, LIMITS));
    expect(compacted).toMatchObject({
      "@context": AS_CONTEXT,
      id: "https://a.example/activities/1",
      type: "Create",
      actor: "https://a.example/u",
      to: "as:Public",
      object: { id: "https://a.example/notes/1", type: "Note", sensitive: false, content: "hi" },
    });
  });
});

describe("bounds checked before JSON-LD processing", () => {
  it("refuses oversized text before parsing it, and oversized values", async () => {
    const big = JSON.stringify({ id: "https://a.example/1", type: "Note", content: "x".repeat(2000) });
    await expect(expandActivity(big, { maxBytes: 1000, maxDepth: 32 })).rejects.toMatchObject({
      kind: "too_large",
      message: expect.stringMatching(/bytes is larger than 1000/),
    });
    await expect(expandActivity(JSON.parse(big), { maxBytes: 1000, maxDepth: 32 })).rejects.toMatchObject({
      kind: "too_large",
    });
    await expect(expandActivity("{not json", LIMITS)).rejects.toMatchObject({
      kind: "invalid",
      message: "JSON document refused: not valid JSON",
    });
    await expect(expandActivity("42", LIMITS)).rejects.toThrow(/not an object or array/);
  });

  it("refuses deep nesting before the loader is ever asked for a context", async () => {
    let doc: Record<string, unknown> = { id: "https://a.example/0" };
    for (let i = 0; i < 50; i++) doc = { object: doc };
    doc["@context"] = "https://evil.example/ctx";
    const loader = vi.fn(createDocumentLoader());
    await expect(expandActivity(doc, { ...LIMITS, documentLoader: loader })).rejects.toMatchObject({
      kind: "too_large",
      message: expect.stringMatching(/nesting is deeper than 32 levels/),
    });
    expect(loader).not.toHaveBeenCalled();
  });

  it("reports JSON-LD errors as invalid documents", async () => {
    await expect(
      expandActivity({ "@context": { "@version": 2 }, id: "https://a.example/1" }, LIMITS),
    ).rejects.toMatchObject({ kind: "invalid", message: expect.stringMatching(/^JSON-LD expansion failed: /) });
  });
});
