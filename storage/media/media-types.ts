/**
 * The content type of a stored blob from its first bytes: the formats Atoll keeps (originals and
 * JPEG thumbnails). Anything else is served as opaque bytes.
 */
export function mediaTypeOf(data: Buffer): string {
  const starts = (bytes: number[], at = 0) => bytes.every((b, i) => data[at + i] === b);
  if (starts([0xff, 0xd8, 0xff])) return "image/jpeg";
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (starts([0x47, 0x49, 0x46, 0x38])) return "image/gif";
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return "image/webp";
  if (starts([0x1a, 0x45, 0xdf, 0xa3])) return "video/webm";
  if (starts([0x66, 0x74, 0x79, 0x70], 4)) return "video/mp4";
  return "application/octet-stream";
}
