import { describe, expect, it } from "vitest";
import { flagActivity, flagCategory, resolveFlag } from "../../federation/documents/flag.js";
import { FederationIds } from "../../federation/ids.js";

/* The report activities Atoll sends, pinned byte for byte as peers receive them. */

const ids = new FederationIds("https://atoll.example");
const wire = (doc: unknown): string => JSON.stringify(doc, null, 2);
const report = { id: "3f9c2a1e-0000-4000-8000-000000000001", reason: "Spam <links> & a scam" };

describe("report activities Atoll sends, exactly", () => {
  it("Flag to a followed group (Lemmy's shape): one object, the group in to and audience", () => {
    const doc = flagActivity(ids, report, "https://lemmy.example/post/7", {
      kind: "group",
      group: "https://lemmy.example/c/main",
    });
    expect(wire(doc)).toMatchSnapshot();
    expect(JSON.stringify(doc)).not.toContain("203.0.113");
  });

  it("Flag to an author's server (Mastodon's shape): the account and the post as objects", () => {
    const doc = flagActivity(ids, report, "https://masto.example/users/troll/statuses/1", {
      kind: "author",
      author: "https://masto.example/users/troll",
    });
    expect(wire(doc)).toMatchSnapshot();
  });

  it("Flag with a category: the category first in summary and content, read back by flagCategory", () => {
    const doc = flagActivity(ids, { ...report, category: "illegal" }, "https://lemmy.example/post/7", {
      kind: "group",
      group: "https://lemmy.example/c/main",
    });
    expect(wire(doc)).toMatchSnapshot();
    expect(flagCategory(String(doc["summary"]))).toEqual({ category: "illegal", text: report.reason });
    expect(flagCategory("[nonsense] text")).toEqual({ category: undefined, text: "[nonsense] text" });
    expect(flagCategory("no category")).toEqual({ category: undefined, text: "no category" });
  });

  it("Flag of a post mirrored from another Atoll: the poster's token named, in Atoll's context", () => {
    const doc = flagActivity(
      ids,
      report,
      "https://atoll.other/ap/posts/a/12",
      { kind: "group", group: "https://atoll.other/ap/boards/a" },
      "Zx3_kQ9-aB7cD1eF2gH4iJ",
    );
    expect(wire(doc)).toMatchSnapshot();
  });

  it("Resolve of a Lemmy report: the Flag embedded as it was sent", () => {
    const doc = resolveFlag(ids, {
      id: "https://lemmy.example/activities/flag/98b0933f",
      actor: "https://lemmy.example/u/alice",
      to: ["https://atoll.example/ap/boards/b"],
      object: "https://atoll.example/b/thread/1",
      summary: "off topic",
    });
    expect(wire(doc)).toMatchSnapshot();
  });
});
