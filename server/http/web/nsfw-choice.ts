import type { Request, Response } from "express";

/** The reader's choice to see boards not marked safe for work on the pages across boards. */
export const NSFW_COOKIE = "overboard_nsfw";
const YEAR_MS = 365 * 24 * 3600 * 1000;

/**
 * `?nsfw=1` (or `=0`) decides for this request and is remembered in a cookie for the next ones;
 * without it the cookie decides; without either, safe-for-work boards only. Anything unexpected
 * counts as no.
 */
export function nsfwChoice(req: Request, res: Response): boolean {
  const asked = (req.query as Record<string, unknown>)["nsfw"];
  if (asked === "1" || asked === "0") {
    const on = asked === "1";
    if (on) res.cookie(NSFW_COOKIE, "1", { maxAge: YEAR_MS, httpOnly: true, sameSite: "lax", path: "/" });
    else res.clearCookie(NSFW_COOKIE, { path: "/" });
    return on;
  }
  return (req.cookies as Record<string, unknown> | undefined)?.[NSFW_COOKIE] === "1";
}
