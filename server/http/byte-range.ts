/** Bytes `start` to `end` of a file, both included. */
export interface ByteSpan {
  start: number;
  end: number;
}

const SINGLE = /^bytes=(\d*)-(\d*)$/;

/**
 * A `Range` header against a file of `size` bytes: the one span it asks for, "unsatisfiable" (416)
 * when it starts past the end, or null when the whole file is the answer (no header, several ranges,
 * another unit or a malformed value, which a server may ignore).
 */
export function resolveRange(header: string | undefined, size: number): ByteSpan | "unsatisfiable" | null {
  if (header === undefined) return null;
  const m = SINGLE.exec(header.trim());
  if (!m) return null;
  const [, first = "", last = ""] = m;
  if (first === "" && last === "") return null;
  if (first === "") {
    // A suffix: the last N bytes.
    const n = Number(last);
    if (n === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Number(last);
  if (last !== "" && end < start) return null;
  if (start >= size) return "unsatisfiable";
  return { start, end: Math.min(end, size - 1) };
}
