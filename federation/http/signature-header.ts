import { isBase64 } from "./digest.js";
import { SignatureError } from "./signature-error.js";

export interface ParsedSignature {
  keyId: string;
  /** Lowercased; null when the header names none. */
  algorithm: string | null;
  /** The signed header names, lowercased, in order. `date` when the header names none. */
  headers: string[];
  signature: Buffer;
  created?: number;
  expires?: number;
}

/** The parse plus the `created`/`expires` parameters exactly as written, which the signing string uses. */
export interface ParsedSignatureWithRaw extends ParsedSignature {
  raw: { created?: string; expires?: string };
}

const MAX_LENGTH = 8192;
const MAX_PARAMS = 16;
const MAX_SIGNED_HEADERS = 32;
const HEADER_NAME = /^(?:[!#$%&'*+.^_`|~0-9a-z-]+|\([a-z-]+\))$/;
const TIMESTAMP = /^\d{1,12}$/;
const EXPIRES = /^\d{1,12}(?:\.\d{1,9})?$/;

const malformed = (message: string) => new SignatureError("malformed", message);

/** A token (RFC 9110): a parameter name or an unquoted value. */
const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;
const SPACE = /[ \t]*/y;
/** The inside of a quoted string: any character but controls (tab allowed), `\\` escaping the next one. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it keeps out.
const QUOTED = /"((?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\[^\x00-\x08\x0a-\x1f\x7f])*)"/y;
const ESCAPED = /\\(.)/gs;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

/**
 * Splits `name="value", name=token, …` into its parameters: values quoted (with backslash escapes) or
 * bare tokens, commas allowed inside quotes, whitespace allowed around `=` and `,`, duplicates refused.
 */
function parseParams(input: string): Map<string, string> {
  const params = new Map<string, string>();
  let i = 0;
  const skipSpace = () => {
    SPACE.lastIndex = i;
    SPACE.test(input);
    i = SPACE.lastIndex;
  };
  const token = (): string | null => {
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(input);
    if (m === null) return null;
    i = TOKEN.lastIndex;
    return m[0];
  };
  for (;;) {
    skipSpace();
    const raw = token();
    if (raw === null) throw malformed("Expected a parameter name in the signature.");
    const name = raw.toLowerCase();
    skipSpace();
    if (input[i] !== "=") throw malformed(`Expected "=" after "${name.slice(0, 40)}".`);
    i++;
    skipSpace();
    let value: string;
    if (input[i] === '"') {
      QUOTED.lastIndex = i;
      const m = QUOTED.exec(input);
      if (m === null) {
        const rest = input.slice(i + 1);
        throw malformed(
          CONTROL.test(rest) ? "Control character in the signature." : "Unterminated quoted string in the signature.",
        );
      }
      i = QUOTED.lastIndex;
      value = m[1]!.includes("\\") ? m[1]!.replace(ESCAPED, "$1") : m[1]!;
    } else {
      const v = token();
      if (v === null) throw malformed(`Parameter "${name.slice(0, 40)}" has no value.`);
      value = v;
    }
    if (params.has(name)) throw malformed(`Duplicate signature parameter "${name.slice(0, 40)}".`);
    if (params.size >= MAX_PARAMS) throw malformed("Too many signature parameters.");
    params.set(name, value);
    skipSpace();
    if (i >= input.length) return params;
    if (input[i] !== ",") throw malformed("Expected a comma between signature parameters.");
    i++;
  }
}

function signedHeaderList(value: string | undefined): string[] {
  if (value === undefined) return ["date"];
  const names = value
    .trim()
    .toLowerCase()
    .split(/[ \t]+/);
  if (names.length === 0 || names[0] === "") throw malformed("The signed header list is empty.");
  if (names.length > MAX_SIGNED_HEADERS) throw malformed("Too many signed headers.");
  if (new Set(names).size !== names.length) throw malformed("A header is listed twice in the signature.");
  for (const name of names) {
    if (!HEADER_NAME.test(name)) throw malformed(`Not a header name: "${name.slice(0, 40)}".`);
  }
  return names;
}

/** The `Signature` header's value, or an `Authorization` value with the `Signature` scheme. */
export function parseSignatureHeaderWithRaw(value: string): ParsedSignatureWithRaw {
  if (typeof value !== "string") throw malformed("The signature header is not a string.");
  if (value.length > MAX_LENGTH) throw malformed("The signature header is too long.");
  const scheme = /^signature[ \t]+/i.exec(value);
  const params = parseParams(scheme ? value.slice(scheme[0].length) : value);

  const keyId = params.get("keyid");
  if (!keyId) throw malformed("The signature has no keyId.");
  const encoded = params.get("signature");
  if (!encoded || !isBase64(encoded)) throw malformed("The signature value is missing or not base64.");
  const algorithm = params.get("algorithm");
  const created = params.get("created");
  const expires = params.get("expires");
  if (created !== undefined && !TIMESTAMP.test(created)) throw malformed("The created parameter is not a timestamp.");
  if (expires !== undefined && !EXPIRES.test(expires)) throw malformed("The expires parameter is not a timestamp.");

  const parsed: ParsedSignatureWithRaw = {
    keyId,
    algorithm: algorithm === undefined ? null : algorithm.toLowerCase(),
    headers: signedHeaderList(params.get("headers")),
    signature: Buffer.from(encoded, "base64"),
    raw: {},
  };
  if (created !== undefined) {
    parsed.created = Number(created);
    parsed.raw.created = created;
  }
  if (expires !== undefined) {
    parsed.expires = Number(expires);
    parsed.raw.expires = expires;
  }
  return parsed;
}

/**
 * Parses a draft-cavage signature (`keyId="…",algorithm="…",headers="…",signature="…"`), strictly:
 * throws SignatureError("malformed") on bad quoting, duplicate parameters, a missing keyId, a signature
 * that is not base64, or unreadable timestamps.
 */
export function parseSignatureHeader(value: string): ParsedSignature {
  const { raw: _raw, ...parsed } = parseSignatureHeaderWithRaw(value);
  return parsed;
}
