/**
 * Small display formats shared by the pages. Everything here is pure: pages are rendered once per
 * version and cached, so nothing may depend on the reader (their time zone is applied by app.js).
 */

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const pad = (n: number) => String(n).padStart(2, "0");

/** `MM/DD/YY(Day)HH:MM:SS`, the classic imageboard date, in UTC. */
export function displayDate(ms: number): string {
  const d = new Date(ms);
  if (!Number.isFinite(d.getTime())) return "";
  return `${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCFullYear() % 100)}(${DAYS[d.getUTCDay()]})${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** ISO 8601 for `<time datetime>`; empty for a time that is not one. */
export function isoDate(ms: number): string {
  const d = new Date(ms);
  return Number.isFinite(d.getTime()) ? d.toISOString() : "";
}

/** A file size as imageboards show it: the one formatter of sizes (domain/sizes.ts). */
export { formatSize as fileSize } from "../../domain/sizes.js";

/** A long file name shortened as 4chan does, keeping its start and the extension. */
export function shortFileName(name: string, ext: string, max = 32): string {
  const chars = Array.from(name);
  if (chars.length <= max) return name + ext;
  return `${chars.slice(0, max - 5).join("")}(...)${ext}`;
}

/** One of 24 hues for a poster ID, so the same ID always gets the same colour (a CSS class). */
export function idHue(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return (h >>> 0) % 24;
}

/** A short stable hash of any JSON-able value, for cache versions. */
export function fingerprint(value: unknown): string {
  const s = JSON.stringify(value);
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36);
}

/** `1 reply`, `2 replies`. */
export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * A fediverse author's handle guessed from their actor URL (`https://host/users/alice` →
 * `alice@host`), or null when the URL is not http(s). Only for display: the link is the actor id.
 */
export function fediHandle(actor: string): { href: string; handle: string } | null {
  let url: URL;
  try {
    url = new URL(actor);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  const last = url.pathname.split("/").filter(Boolean).pop() ?? "";
  const user = decodeSafe(last).replace(/^@/, "");
  const handle = user && user.length <= 64 && !/[\s@]/.test(user) ? `${user}@${url.host}` : url.host;
  return { href: url.href, handle };
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
