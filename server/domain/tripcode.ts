/**
 * The name field: a display name, optionally followed by a tripcode password.
 *
 * - `name#password` gives a classic tripcode `!` + 10 characters, compatible with 4chan and futaba for
 *   ASCII passwords: the password is HTML-escaped as futaba does (`&` `<` `>` `"` become entities), a
 *   two-character salt is taken from its 2nd and 3rd characters (padded with `H..`), and the last 10
 *   characters of DES crypt(3) are kept. 4chan converts the password to Shift-JIS first; Atoll uses
 *   UTF-8, so tripcodes of non-ASCII passwords differ from 4chan's.
 * - `name##password` gives a secure tripcode `!!` + 10 characters from an HMAC keyed with the
 *   instance's secret, so it cannot be brute-forced offline and differs between instances.
 * - `name#classic##secure` gives both, classic first.
 */
import { createHmac } from "node:crypto";
import { createRequire } from "node:module";

/** crypt(3) over bytes; the package has no type declarations of its own. */
type UnixCrypt = (password: number[], salt: string) => string;
const unixCrypt = createRequire(import.meta.url)("unix-crypt-td-js") as UnixCrypt;

export interface NameFieldOptions {
  defaultName: string;
  /** The board hides names: everyone gets `defaultName` and no tripcode. */
  forcedAnon: boolean;
  /** Key of secure tripcodes. */
  secureSecret: string;
}

export const MAX_NAME_LENGTH = 100;

// Control characters (C0, DEL, C1) never belong in a name.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
/** `◆` and `!` mark tripcodes; a plain name may not contain them, so no one can fake one. */
const TRIP_MARKS = /[◆!]/g;

const SALT_FROM = ":;<=>?@[\\]^_`";
const SALT_TO = "ABCDEFGabcdef";

/** The futaba escaping applied to a password before hashing. */
function futabaEscape(password: string): string {
  return password.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** The classic tripcode (without its `!`). */
export function classicTripcode(password: string): string {
  const bytes = [...Buffer.from(futabaEscape(password), "utf8")];
  // The salt is the 2nd and 3rd bytes of the password padded with "H..". Anything outside '.'..'z'
  // becomes '.', and the punctuation between the digits and the letters maps onto letters.
  const padded = [...bytes, 0x48, 0x2e, 0x2e];
  const salt = [padded[1]!, padded[2]!]
    .map((b) => {
      if (b < 0x2e || b > 0x7a) return ".";
      const c = String.fromCharCode(b);
      const i = SALT_FROM.indexOf(c);
      return i >= 0 ? SALT_TO[i]! : c;
    })
    .join("");
  // crypt(3) reads at most 8 bytes and stops at a NUL.
  const key = bytes.slice(0, 8);
  const nul = key.indexOf(0);
  return unixCrypt(nul >= 0 ? key.slice(0, nul) : key, salt).slice(-10);
}

/** The secure tripcode (without its `!!`). */
export function secureTripcode(password: string, secret: string): string {
  if (!secret) throw new Error("secure tripcodes need a secret");
  return createHmac("sha256", secret).update(password, "utf8").digest("base64").slice(0, 10);
}

function cleanName(raw: string): string {
  const name = raw.replace(CONTROL, " ").replace(TRIP_MARKS, "").replace(/\s+/g, " ").trim();
  const chars = Array.from(name);
  return chars.length > MAX_NAME_LENGTH ? chars.slice(0, MAX_NAME_LENGTH).join("").trimEnd() : name;
}

/**
 * Splits the name field into the name shown (plain text, not HTML-escaped) and its tripcode, if any.
 * An empty password gives no tripcode.
 */
export function parseNameField(raw: string, opts: NameFieldOptions): { name: string; trip: string | null } {
  if (opts.forcedAnon) return { name: opts.defaultName, trip: null };
  const text = typeof raw === "string" ? raw : "";
  const hash = text.indexOf("#");
  const name = cleanName(hash >= 0 ? text.slice(0, hash) : text) || opts.defaultName;
  if (hash < 0) return { name, trip: null };

  // After the first '#': "#secure" when it starts with another '#', else "classic" or "classic##secure".
  const rest = text.slice(hash + 1);
  let classic = "";
  let secure = "";
  if (rest.startsWith("#")) {
    secure = rest.slice(1);
  } else {
    const split = rest.indexOf("##");
    classic = split >= 0 ? rest.slice(0, split) : rest;
    secure = split >= 0 ? rest.slice(split + 2) : "";
  }
  let trip = "";
  if (classic) trip += `!${classicTripcode(classic)}`;
  if (secure) trip += `!!${secureTripcode(secure, opts.secureSecret)}`;
  return { name, trip: trip || null };
}
