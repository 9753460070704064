import { describe, expect, it } from "vitest";
import { normalizeActivity } from "../../federation/vocab/normalize.js";
import { ACTOR, create, note } from "../support/inbound-documents.js";

/* The cost of normalizing a typical inbound activity, guarded against a collapse. */

describe("speed", () => {
  it("normalizes a typical Create(Note) in well under 50 µs (reported; asserted only against a collapse)", () => {
    const doc = create(
      note({
        summary: null,
        inReplyTo: "https://b.example/users/bob/statuses/107224244380204526",
        published: "2021-11-05T11:46:50Z",
        url: "https://social.example/@alice/1",
        sensitive: false,
        contentMap: { en: "<p>hello</p>" },
        attachment: [
          {
            type: "Document",
            mediaType: "image/jpeg",
            url: "https://cdn.example/a.jpg",
            name: "alt",
            blurhash: "USQv:h-W-qI-^,W;RPs=^-R%NZxbo#sDobSc",
            width: 1500,
            height: 1095,
          },
        ],
        tag: [{ type: "Mention", href: "https://b.example/users/bob", name: "@bob@b.example" }],
        replies: { id: "https://social.example/r", type: "Collection", first: { type: "CollectionPage", items: [] } },
      }),
      { cc: [`${ACTOR}/followers`, "https://b.example/users/bob"], published: "2021-11-05T11:46:50Z" },
    );
    for (let i = 0; i < 5_000; i++) normalizeActivity(doc);
    const iterations = 10_000;
    const started = performance.now();
    for (let i = 0; i < iterations; i++) {
      if (!normalizeActivity(doc).ok) throw new Error("refused");
    }
    const elapsed = performance.now() - started;
    console.log(`normalizeActivity(Create(Note)): ${((elapsed * 1000) / iterations).toFixed(2)} µs per call`);
    // Only a catastrophic regression (2 ms a call, forty times the aim) fails this; the bench's inbox
    // figures measure the speed.
    expect(elapsed).toBeLessThan(20_000);
  });
});
