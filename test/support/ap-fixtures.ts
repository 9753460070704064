import { type Board, DEFAULT_BOARD_SETTINGS } from "../../server/domain/board.js";
import type { Post } from "../../server/domain/post.js";

/* A board and a post with every field set, for the tests of the ActivityPub documents built from them. */

export const board: Board = {
  uri: "b",
  title: "Random",
  description: "Anything <goes>",
  settings: { ...DEFAULT_BOARD_SETTINGS, allowedTypes: [...DEFAULT_BOARD_SETTINGS.allowedTypes] },
  createdAt: Date.UTC(2026, 0, 1),
};

export function post(overrides: Partial<Post> = {}): Post {
  return {
    extraFiles: [],
    board: "b",
    no: 1,
    threadNo: 1,
    createdAt: Date.UTC(2026, 0, 2, 3, 4, 5),
    name: "Anonymous",
    trip: null,
    capcode: null,
    subject: "Hello <world>",
    comment: ">be me\n>>1",
    html: '<span class="quote">&gt;be me</span><br><a href="/b/thread/1#p1" class="quotelink">&gt;&gt;1</a>',
    quotes: [1],
    posterId: null,
    sage: false,
    file: {
      sha256: "a".repeat(64),
      thumbSha256: "b".repeat(64),
      tim: 1767323045000123,
      ext: ".jpg",
      mime: "image/jpeg",
      filename: "cat",
      size: 1234,
      width: 800,
      height: 600,
      thumbWidth: 250,
      thumbHeight: 188,
      md5: "x",
      spoiler: true,
    },
    fileDeleted: false,
    ipHash: "h",
    posterToken: null,
    passwordHash: null,
    apId: null,
    fediActor: null,
    ...overrides,
  };
}
