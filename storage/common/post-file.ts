import type { PostFile } from "../../server/domain/post.js";

/**
 * A stored file record read back, copied field by field: nothing a store row or document carries
 * beyond a PostFile's fields reaches the domain, and a missing spoiler flag reads as false.
 */
export function storedFile(f: PostFile): PostFile {
  return {
    sha256: f.sha256,
    thumbSha256: f.thumbSha256,
    tim: f.tim,
    ext: f.ext,
    mime: f.mime,
    filename: f.filename,
    size: f.size,
    width: f.width,
    height: f.height,
    thumbWidth: f.thumbWidth,
    thumbHeight: f.thumbHeight,
    md5: f.md5,
    spoiler: f.spoiler === true,
    ...(typeof f.duration === "number" ? { duration: f.duration } : {}),
  };
}
