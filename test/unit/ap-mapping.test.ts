import { describe, expect, it } from "vitest";
import { postObject } from "../../federation/documents/note.js";
import { FederationIds } from "../../federation/ids.js";
import { Urls } from "../../server/services/urls.js";
import { board, post } from "../support/ap-fixtures.js";

const ids = new FederationIds("https://atoll.example");
const urls = new Urls("https://atoll.example", "https://media.atoll.example");

// The exact documents are pinned by ap-documents.test.ts; these check what each mapping means.
describe("ActivityPub documents", () => {
  it("a thread is a Note with a name, its image attached, addressed to the board", () => {
    const doc = postObject(board, post(), { urls, ids, anonymousActor: "https://atoll.example/ap/anonymous" });
    expect(doc["content"]).toContain("<strong>Hello &lt;world&gt;</strong>");
    expect(doc["content"]).toContain('href="https://atoll.example/b/thread/1#p1"');
    expect(doc["sensitive"]).toBe(true);
  });

  it("a reply answers its thread and keeps imageboard extras", () => {
    const doc = postObject(
      board,
      post({ no: 5, subject: null, file: null, sage: true, trip: "!abc", posterId: "ID12345x" }),
      {
        urls,
        ids,
        anonymousActor: "https://atoll.example/ap/anonymous",
      },
    );
    expect(doc).toMatchObject({
      id: "https://atoll.example/b/post/5",
      inReplyTo: "https://atoll.example/b/thread/1",
      context: "https://atoll.example/b/thread/1",
      postNumber: 5,
      tripcode: "!abc",
      posterId: "ID12345x",
      sage: true,
      sensitive: false,
    });
    expect(doc).not.toHaveProperty("name");
    expect(doc).not.toHaveProperty("attachment");
  });

  it("a post from the fediverse keeps its own id and author", () => {
    const doc = postObject(
      board,
      post({ no: 6, apId: "https://remote.example/notes/9", fediActor: "https://remote.example/users/al" }),
      {
        urls,
        ids,
        anonymousActor: "https://atoll.example/ap/anonymous",
      },
    );
    expect(doc["id"]).toBe("https://remote.example/notes/9");
    expect(doc["attributedTo"]).toBe("https://remote.example/users/al");
  });
});
