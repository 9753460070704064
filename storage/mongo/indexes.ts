import type { Collections } from "./documents.js";
import { POST_TEXT_INDEX } from "./post-search.js";

/**
 * Creates the indexes the queries rely on. createIndex is a no-op for an index that already exists
 * with the same definition, so this runs at every start.
 */
export async function ensureIndexes(c: Collections): Promise<void> {
  await c.boards.createIndex({ uri: 1 }, { unique: true });

  await c.posts.createIndex({ board: 1, no: 1 }, { unique: true });
  await c.posts.createIndex({ board: 1, threadNo: 1, no: 1 });
  await c.posts.createIndex({ board: 1, "file.tim": 1 });
  await c.posts.createIndex({ ipHash: 1, op: 1, createdAt: -1 });
  await c.posts.createIndex(
    { board: 1, posterToken: 1, no: -1 },
    { partialFilterExpression: { posterToken: { $type: "string" } } },
  );
  // orphan checks look addresses up in both roles
  await c.posts.createIndex({ "file.sha256": 1 });
  await c.posts.createIndex({ "file.thumbSha256": 1 });
  // full-text search: no language, so no stemming or stop words (as the SQLite index)
  await c.posts.createIndex(
    { subject: "text", comment: "text" },
    { name: POST_TEXT_INDEX, default_language: "none", language_override: "searchLanguage" },
  );

  // a post's further files, looked up the same ways (sparse: most posts have none)
  await c.posts.createIndex({ board: 1, "extraFiles.tim": 1 }, { sparse: true });
  await c.posts.createIndex({ "extraFiles.sha256": 1 }, { sparse: true });
  await c.posts.createIndex({ "extraFiles.thumbSha256": 1 }, { sparse: true });

  await c.announcePending.createIndex({ board: 1, no: 1 }, { unique: true });
  await c.announcePending.createIndex({ createdAt: 1 });

  await c.threads.createIndex({ board: 1, no: 1 }, { unique: true });
  await c.threads.createIndex({ board: 1, archived: 1, sticky: 1, bumpedAt: -1 });

  await c.bans.createIndex({ id: 1 }, { unique: true });
  await c.bans.createIndex({ ipHash: 1 });

  await c.reports.createIndex({ id: 1 }, { unique: true });
  await c.reports.createIndex({ resolved: 1, createdAt: -1 });
  await c.reports.createIndex({ board: 1, postNo: 1 });

  await c.users.createIndex({ username: 1 }, { unique: true });

  await c.sessions.createIndex({ idHash: 1 }, { unique: true });
  await c.sessions.createIndex({ expiresAt: 1 });
  await c.sessions.createIndex({ username: 1 });

  await c.tokens.createIndex({ id: 1 }, { unique: true });
  await c.tokens.createIndex({ tokenHash: 1 }, { unique: true });

  await c.settings.createIndex({ key: 1 }, { unique: true });
}
