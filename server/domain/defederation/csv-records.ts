/*
 * An RFC 4180 reader for the blocklist CSV formats: records out of text, each with the line it
 * starts on, never throwing on malformed input (a record that cannot be read carries its error).
 */

const COMMA = 0x2c;
const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;
const HASH = 0x23;

export interface CsvRecord {
  /** The physical line the record starts on, from 1. */
  line: number;
  fields: string[];
  /** The record starts with `#`: a header or a comment, read as one physical line. */
  hash: boolean;
  /** Why the record could not be read; its fields are then unusable. */
  error: string | null;
}

/**
 * An RFC 4180 reader: fields separated by commas, records by CRLF, LF or a lone CR; a field in
 * double quotes may hold commas, line breaks and doubled quotes. Spaces around a field are dropped
 * (inside quotes they are kept). A record starting with `#` is read as one physical line, so an
 * unbalanced quote in a comment cannot swallow the lines after it; likewise a quote left open at
 * the end of the text spoils only the line it starts on, and reading resumes on the next one.
 */
export function* readCsv(text: string, hashLines: boolean): Generator<CsvRecord> {
  const n = text.length;
  let pos = 0;
  let line = 1;
  while (pos < n) {
    const start = pos;
    const startLine = line;
    if (hashLines && text.charCodeAt(pos) === HASH) {
      let end = pos;
      while (end < n && text.charCodeAt(end) !== LF && text.charCodeAt(end) !== CR) end++;
      const first = readCsv(text.slice(pos, end), false).next();
      yield { line: startLine, fields: first.done ? [] : first.value.fields, hash: true, error: null };
      pos = skipBreak(text, end);
      line++;
      continue;
    }
    const fields: string[] = [];
    let error: string | null = null;
    let restart = false;
    for (;;) {
      let p = pos;
      let c = text.charCodeAt(p);
      while (c === SPACE || c === TAB) c = text.charCodeAt(++p);
      if (c === QUOTE) {
        let value = "";
        let q = p + 1;
        let closed = false;
        for (;;) {
          const next = text.indexOf('"', q);
          if (next < 0) break;
          value += text.slice(q, next);
          if (text.charCodeAt(next + 1) === QUOTE) {
            value += '"';
            q = next + 2;
            continue;
          }
          closed = true;
          q = next + 1;
          break;
        }
        if (!closed) {
          restart = true;
          break;
        }
        line += countBreaks(value);
        fields.push(value);
        p = q;
        c = text.charCodeAt(p);
        while (c === SPACE || c === TAB) c = text.charCodeAt(++p);
        if (p < n && c !== COMMA && c !== LF && c !== CR) {
          error ??= "text after a closing quote";
          while (p < n && !endsField(text.charCodeAt(p))) p++;
        }
      } else {
        const from = p;
        while (p < n && !endsField(text.charCodeAt(p))) p++;
        let to = p;
        while (to > from && isBlank(text.charCodeAt(to - 1))) to--;
        fields.push(text.slice(from, to));
      }
      if (p < n && text.charCodeAt(p) === COMMA) {
        pos = p + 1;
        continue;
      }
      pos = skipBreak(text, p);
      if (p < n) line++;
      break;
    }
    if (restart) {
      // Resume on the line after the one the record started on.
      let end = start;
      while (end < n && text.charCodeAt(end) !== LF && text.charCodeAt(end) !== CR) end++;
      pos = skipBreak(text, end);
      line = startLine + 1;
      yield { line: startLine, fields: [], hash: false, error: "a quoted field is never closed" };
      continue;
    }
    yield { line: startLine, fields, hash: false, error };
  }
}

function endsField(c: number): boolean {
  return c === COMMA || c === LF || c === CR;
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

/** The position after the line break at `at` (CRLF, LF or CR), or `at` at the end of the text. */
function skipBreak(text: string, at: number): number {
  const c = text.charCodeAt(at);
  if (c === CR) return text.charCodeAt(at + 1) === LF ? at + 2 : at + 1;
  if (c === LF) return at + 1;
  return at;
}

function countBreaks(s: string): number {
  let count = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === LF) count++;
    else if (c === CR && s.charCodeAt(i + 1) !== LF) count++;
  }
  return count;
}
