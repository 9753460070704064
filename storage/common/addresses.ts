import type { PostFile } from "../../server/domain/post.js";

/** The content addresses (original and thumbnail) the given files occupy in the media store. */
export function addressesOf(files: Iterable<Pick<PostFile, "sha256" | "thumbSha256"> | null>): string[] {
  const out = new Set<string>();
  for (const f of files) {
    if (!f) continue;
    out.add(f.sha256);
    out.add(f.thumbSha256);
  }
  return [...out];
}
