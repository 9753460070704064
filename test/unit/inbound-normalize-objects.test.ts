import { describe, expect, it } from "vitest";
import { normalizeObject } from "../../federation/vocab/normalize.js";
import { ACTOR, note, object, refused } from "../support/inbound-documents.js";

/* Normalizing inbound objects: their content, media, tags and attribution. */

describe("object content", () => {
  it("takes the first contentMap value when there is no content", () => {
    const o = object(note({ content: undefined, contentMap: { de: "<p>hallo</p>", en: "<p>hello</p>" } }));
    expect(o.content).toBe("<p>hallo</p>");
    expect(object(note({ contentMap: { de: "<p>hallo</p>" } })).content).toBe("<p>hello</p>");
    expect(object(note({ name: undefined, nameMap: { en: "Title" } })).name).toBe("Title");
  });

  it("reads the source as an object or, as Pleroma sends it, a bare string", () => {
    expect(object(note({ source: { content: "hello", mediaType: "text/markdown" } })).source).toEqual({
      content: "hello",
      mediaType: "text/markdown",
    });
    expect(object(note({ source: "hello" })).source).toEqual({ content: "hello" });
  });

  it("reads summary, sensitive, dates and reply target, dropping malformed values", () => {
    const o = object(
      note({
        summary: "cw",
        sensitive: true,
        published: "2024-01-02T03:04:05Z",
        updated: "not a date",
        inReplyTo: "https://b.example/posts/9",
      }),
    );
    expect(o).toMatchObject({ summary: "cw", sensitive: true, published: "2024-01-02T03:04:05Z" });
    expect(o.updated).toBeUndefined();
    expect(o.inReplyTo).toBe("https://b.example/posts/9");
    expect(object(note({ sensitive: null, summary: null, inReplyTo: null }))).toMatchObject({
      sensitive: undefined,
      summary: undefined,
      inReplyTo: undefined,
    });
    expect(object(note({ inReplyTo: { id: "https://b.example/posts/9", type: "Note" } })).inReplyTo).toBe(
      "https://b.example/posts/9",
    );
  });

  it("refuses a reply whose target is not an id rather than turning it into a new thread", () => {
    expect(refused(normalizeObject(note({ inReplyTo: "javascript:alert(1)" })))).toBe(
      "inReplyTo is not an absolute http(s) URL",
    );
  });

  it("reads the url as a string, a Link, or an array of Links (HTML first)", () => {
    expect(object(note({ url: "https://social.example/@alice/1" })).url).toBe("https://social.example/@alice/1");
    expect(object(note({ url: { type: "Link", href: "https://social.example/@alice/1" } })).url).toBe(
      "https://social.example/@alice/1",
    );
    const links = [
      { type: "Link", mediaType: "application/x-mpegURL", href: "https://video.example/hls/1.m3u8" },
      { type: "Link", mediaType: "text/html", href: "https://video.example/w/1" },
    ];
    expect(object(note({ url: links })).url).toBe("https://video.example/w/1");
    expect(object(note({ url: [links[0]] })).url).toBe("https://video.example/hls/1.m3u8");
    expect(object(note({ url: ["javascript:alert(1)", "https://social.example/@alice/1"] })).url).toBe(
      "https://social.example/@alice/1",
    );
  });

  it("reads attachments in Document, Image and Link forms, taking the best image of a url array", () => {
    const o = object(
      note({
        attachment: [
          {
            type: "Document",
            mediaType: "image/jpeg",
            url: "https://cdn.example/a.jpg",
            name: "alt text",
            blurhash: "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH",
            width: 1500,
            height: 1095,
            sensitive: true,
          },
          { type: "Link", href: "https://lemmy.example/pictrs/image/b.png" },
          {
            type: "Image",
            url: [
              { type: "Link", mediaType: "image/jpeg", href: "https://cdn.example/small.jpg", width: 48, height: 48 },
              { type: "Link", mediaType: "image/jpeg", href: "https://cdn.example/large.jpg", width: 480, height: 480 },
              { type: "Link", mediaType: "text/html", href: "https://cdn.example/page", width: 4800, height: 4800 },
            ],
          },
          { type: "Image", url: { type: "Link", href: "https://cdn.example/c.webp", mediaType: "image/webp" } },
          { type: "PropertyValue", name: "Website", value: "<a href='https://x.example'>x</a>" },
          { type: "Document", url: "javascript:alert(1)" },
          "https://cdn.example/bare.png",
        ],
      }),
    );
    expect(o.attachment).toEqual([
      {
        type: "Document",
        url: "https://cdn.example/a.jpg",
        mediaType: "image/jpeg",
        name: "alt text",
        width: 1500,
        height: 1095,
        blurhash: "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH",
        sensitive: true,
      },
      expect.objectContaining({ type: "Link", url: "https://lemmy.example/pictrs/image/b.png" }),
      expect.objectContaining({
        type: "Image",
        url: "https://cdn.example/large.jpg",
        mediaType: "image/jpeg",
        width: 480,
        height: 480,
      }),
      expect.objectContaining({ type: "Image", url: "https://cdn.example/c.webp", mediaType: "image/webp" }),
      { type: "Link", url: "https://cdn.example/bare.png" },
    ]);
    // A single attachment may come bare.
    expect(object(note({ attachment: { type: "Image", url: "https://cdn.example/one.png" } })).attachment).toHaveLength(
      1,
    );
  });

  it("reads mentions and hashtags and skips other tags", () => {
    const o = object(
      note({
        tag: [
          { type: "Mention", href: "https://b.example/users/bob", name: "@bob@b.example" },
          { type: "Mention", href: "https://c.example/users/carol" },
          { type: "Hashtag", href: "https://social.example/tags/cats", name: "#cats" },
          { type: "Emoji", name: ":blob:", icon: { type: "Image", url: "https://social.example/e.png" } },
          { type: "Mention", href: "javascript:alert(1)", name: "@evil" },
          { type: "Hashtag" },
        ],
      }),
    );
    expect(o.tag).toEqual([
      { type: "Mention", href: "https://b.example/users/bob", name: "@bob@b.example" },
      { type: "Mention", href: "https://c.example/users/carol", name: undefined },
      { type: "Hashtag", name: "#cats", href: "https://social.example/tags/cats" },
    ]);
    expect(object(note({ tag: { type: "Hashtag", name: "#one" } })).tag).toEqual([
      { type: "Hashtag", name: "#one", href: undefined },
    ]);
  });

  it("finds a quoted post under each name implementations use", () => {
    const quoted = "https://b.example/notes/9";
    for (const field of ["quote", "quoteUrl", "_misskey_quote", "quoteUri"]) {
      expect(object(note({ [field]: quoted })).quote).toBe(quoted);
    }
    expect(object(note({ quoteUrl: "javascript:alert(1)" })).quote).toBeUndefined();
  });

  it("reads the imageboard fields another Atoll instance sends", () => {
    const o = object(
      note({ postNumber: 1234, tripcode: "!Ep8pui8Vw2", posterId: "aB3dE6fG", sage: true, capcode: "mod" }),
    );
    expect(o.atoll).toEqual({
      postNumber: 1234,
      tripcode: "!Ep8pui8Vw2",
      posterId: "aB3dE6fG",
      sage: true,
      capcode: "mod",
      board: undefined,
    });
    expect(object(note()).atoll).toBeUndefined();
    expect(object(note({ postNumber: -1 })).atoll?.postNumber).toBeUndefined();
  });
});

describe("attribution (Lemmy, Mbin, PeerTube)", () => {
  it("takes the Person of an array of actors and notes the Group as the audience", () => {
    const o = object(
      note({
        attributedTo: [
          { type: "Group", id: "https://video.example/video-channels/chan" },
          { type: "Person", id: "https://video.example/accounts/alice" },
        ],
      }),
    );
    expect(o.attributedTo).toBe("https://video.example/accounts/alice");
    expect(o.audience).toEqual(["https://video.example/video-channels/chan"]);
  });

  it("keeps an explicit audience over the Group of attributedTo", () => {
    const o = object(
      note({
        attributedTo: [
          { type: "Person", id: ACTOR },
          { type: "Group", id: "https://lemmy.example/c/other" },
        ],
        audience: "https://lemmy.example/c/main",
      }),
    );
    expect(o.audience).toEqual(["https://lemmy.example/c/main"]);
  });

  it("reads attributedTo as an id, an object, or an array of ids", () => {
    expect(object(note({ attributedTo: { type: "Person", id: ACTOR } })).attributedTo).toBe(ACTOR);
    expect(object(note({ attributedTo: [ACTOR, "https://b.example/users/bob"] })).attributedTo).toBe(ACTOR);
    expect(object(note({ attributedTo: [{ type: "Group", id: "https://lemmy.example/c/main" }] })).attributedTo).toBe(
      "https://lemmy.example/c/main",
    );
  });

  it("refuses an author that is not an id", () => {
    expect(refused(normalizeObject(note({ attributedTo: "javascript:alert(1)" })))).toMatch(/^attributedTo /);
    expect(refused(normalizeObject(note({ attributedTo: [{ type: "Person", id: "ftp://x.example/u" }] })))).toMatch(
      /^attributedTo\.id /,
    );
  });
});
