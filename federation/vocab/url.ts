/**
 * Validation of ids and URLs from remote documents, on the hot path: a character scan handles the
 * common `https://host[:port][/…]` shape without allocating, and only unusual hosts (IPv6, IDNs,
 * percent-escapes) go through the WHATWG parser.
 */

/**
 * Why `s` is not an acceptable id, or undefined when it is: an absolute http(s) URL, at most `max`
 * characters, with a host, no credentials, and no whitespace, control characters or backslashes
 * (which parsers disagree on).
 */
export function urlProblem(s: string, max: number): string | undefined {
  if (s.length > max) return `is longer than ${max} characters`;
  let i: number;
  if (s.startsWith("https://")) i = 8;
  else if (s.startsWith("http://")) i = 7;
  else return "is not an absolute http(s) URL";
  const hostStart = i;
  let plainHost = true;
  let portStart = -1;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A backslash ends the host for WHATWG parsers but not for others; the scan below refuses it.
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */ || c === 92 /* \ */) break;
    if (c === 64 /* @ */) return "contains credentials";
    const digit = c >= 48 && c <= 57;
    if (portStart >= 0) {
      if (!digit) plainHost = false;
      continue;
    }
    if (c === 58 /* : */ && i > hostStart) {
      portStart = i + 1;
      continue;
    }
    const letterOrDigit = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || digit;
    if (!letterOrDigit && c !== 45 /* - */ && c !== 46 /* . */ && c !== 95 /* _ */) plainHost = false;
  }
  if (i === hostStart) return "has no host";
  // A port of one to five digits within range is plain too; the parser decides for anything else.
  if (portStart >= 0 && (i === portStart || i - portStart > 5 || Number(s.slice(portStart, i)) > 65_535)) {
    plainHost = false;
  }
  for (let j = i; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c <= 32 || c === 127 || c === 92 /* \ */) return "contains whitespace, control characters or a backslash";
  }
  if (plainHost) return undefined;
  return unusualHostProblem(s);
}

/** The WHATWG parser decides for ports, IPv6 literals, IDNs and escapes. */
function unusualHostProblem(s: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(s);
  } catch {
    return "is not a valid URL";
  }
  if (parsed.username !== "" || parsed.password !== "") return "contains credentials";
  if (parsed.hostname === "") return "has no host";
  for (let j = 0; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c <= 32 || c === 127 || c === 92) return "contains whitespace, control characters or a backslash";
  }
  return undefined;
}

export function isHttpUrl(s: string, max: number): boolean {
  return urlProblem(s, max) === undefined;
}
