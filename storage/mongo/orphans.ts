import type { ClientSession, Collection } from "mongodb";
import type { PostDoc } from "./documents.js";

const CHUNK = 2000;

/**
 * The candidate addresses no post refers to any more, as an original or as a thumbnail. Uses
 * `distinct` on both indexed fields, so an address shared by many posts costs one key, not one
 * document per post.
 */
export async function findOrphans(
  posts: Collection<PostDoc>,
  candidates: Iterable<string>,
  session?: ClientSession,
): Promise<string[]> {
  const unique = [...new Set(candidates)].filter((a) => typeof a === "string");
  const referenced = new Set<unknown>();
  for (let i = 0; i < unique.length; i += CHUNK) {
    const chunk = unique.slice(i, i + CHUNK);
    const opts = session ? { session } : {};
    for (const a of await posts.distinct("file.sha256", { "file.sha256": { $in: chunk } }, opts)) referenced.add(a);
    for (const a of await posts.distinct("file.thumbSha256", { "file.thumbSha256": { $in: chunk } }, opts)) {
      referenced.add(a);
    }
    for (const a of await posts.distinct("extraFiles.sha256", { "extraFiles.sha256": { $in: chunk } }, opts)) {
      referenced.add(a);
    }
    for (const a of await posts.distinct(
      "extraFiles.thumbSha256",
      { "extraFiles.thumbSha256": { $in: chunk } },
      opts,
    )) {
      referenced.add(a);
    }
  }
  return unique.filter((a) => !referenced.has(a)).sort();
}
