import type { FilterFields } from "../domain/filter-matching.js";
import { stripFormatChars } from "../domain/format-chars.js";
import type { UploadedFile } from "./posting.js";

/** Longest file name kept for display. */
const MAX_FILENAME = 255;

/** The uploader's file name without path or extension, for display only. */
export function displayName(original: string): string {
  const base = original.split(/[\\/]/).pop() ?? "";
  const dot = base.lastIndexOf(".");
  const stem = stripFormatChars(dot > 0 ? base.slice(0, dot) : base)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
    .replace(/[\u0000-\u001f\u007f]/g, "")
    .trim()
    .slice(0, MAX_FILENAME);
  return stem || "image";
}

/** Every upload's name, for the word filters: the first as `filename`, the rest after it. */
export function filenamesOf(uploads: readonly UploadedFile[]): Pick<FilterFields, "filename" | "otherFilenames"> {
  return { filename: uploads[0]?.originalName ?? "", otherFilenames: uploads.slice(1).map((u) => u.originalName) };
}

/** The uploads under the names the word filters left them. */
export function renamed(uploads: readonly UploadedFile[], screened: FilterFields): UploadedFile[] {
  return uploads.map((u, i) => ({
    ...u,
    originalName: (i === 0 ? screened.filename : screened.otherFilenames?.[i - 1]) ?? u.originalName,
  }));
}
