import type { MediaStore, Store } from "../domain/ports.js";
import { bannerMedia } from "./board-banner.js";
import type { Logger } from "./logger.js";

/**
 * Removes blobs no post (nor held post, nor board banner) refers to: what a crash between writing a file and committing its post can
 * leave behind. The blobs are listed first and the references read only after `graceMs`, so a blob
 * another process has just written for a post it is about to commit is never taken.
 */
export async function collectOrphanedMedia(
  store: Store,
  media: MediaStore,
  logger: Logger,
  wait: (ms: number) => Promise<void>,
  graceMs = 60_000,
): Promise<number> {
  const listed: string[] = [];
  for await (const sha of media.list()) listed.push(sha);
  if (listed.length === 0) return 0;
  await wait(graceMs);
  const referenced = await store.posts.referencedMedia();
  // A post a word filter holds keeps its file until a moderator decides.
  for (const sha of await store.heldPosts.referencedMedia()) referenced.add(sha);
  // And so does a board's banner.
  for (const sha of await bannerMedia(store)) referenced.add(sha);
  let removed = 0;
  for (const sha of listed) {
    if (referenced.has(sha)) continue;
    await media.delete(sha);
    removed++;
  }
  if (removed > 0) logger.info("removed orphaned media", { removed });
  return removed;
}
