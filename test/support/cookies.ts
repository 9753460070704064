import type request from "supertest";

/* Reading the cookies a response sets, as a browser would receive them. */

/** The value of cookie `name` among a response's Set-Cookie headers. */
export function cookieValue(res: request.Response, name: string): string | null {
  const raw = res.headers["set-cookie"] as unknown;
  const list = Array.isArray(raw) ? (raw as string[]) : typeof raw === "string" ? [raw] : [];
  for (const c of list) {
    const m = new RegExp(`^${name}=([^;]*)`).exec(c);
    if (m) return decodeURIComponent(m[1] ?? "");
  }
  return null;
}

/** The whole Set-Cookie header for cookie `name`, attributes included, or an empty string. */
export function setCookieHeader(res: request.Response, name: string): string {
  const raw = res.headers["set-cookie"] as unknown;
  const list = Array.isArray(raw) ? (raw as string[]) : [];
  return list.find((c) => c.startsWith(`${name}=`)) ?? "";
}
