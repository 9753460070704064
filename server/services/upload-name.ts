import { stripFormatChars } from "../domain/format-chars.js";

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
