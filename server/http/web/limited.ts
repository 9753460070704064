import express, { type CookieOptions, type Request, Router } from "express";
import { type Board, isBoardUri } from "../../domain/board.js";
import { DomainError } from "../../domain/errors.js";
import type { ThreadState } from "../../domain/post.js";
import type { Services } from "../../services/container.js";
import { DEFAULT_VISIBILITY, type Visibility } from "../../services/reader.js";
import { positiveInt } from "../respond.js";

/**
 * The reader's opt-in to posts from limited (silenced) servers: `?show_limited=1` (or `=0`) on a
 * page or JSON address for that request, else the cookie the toggle on the board pages sets. Pages
 * and JSON are cached once per variant (see `variantKey`), never per reader.
 */
export const SHOW_LIMITED_COOKIE = "show_limited";
export const SHOW_LIMITED_PARAM = "show_limited";
const YEAR_MS = 365 * 24 * 3600 * 1000;
const SHOWN: Readonly<Visibility> = Object.freeze({ showLimited: true });

function flag(value: unknown): boolean | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (typeof v !== "string") return null;
  const s = v.trim().toLowerCase();
  if (s === "1" || s === "true" || s === "on" || s === "yes") return true;
  if (s === "0" || s === "false" || s === "off" || s === "no") return false;
  return null;
}

/** What this request has opted in to. Anything unexpected counts as no opt-in. */
export function visibilityOf(req: Request): Visibility {
  const fromQuery = flag((req.query as Record<string, unknown> | undefined)?.[SHOW_LIMITED_PARAM]);
  const choice = fromQuery ?? flag((req.cookies as Record<string, unknown> | undefined)?.[SHOW_LIMITED_COOKIE]);
  return choice ? SHOWN : DEFAULT_VISIBILITY;
}

/** The opt-in a request without the query parameter has, from its cookie's value (for the path ahead of Express). */
export function visibilityFromCookie(value: string | undefined): Visibility {
  return flag(value) ? SHOWN : DEFAULT_VISIBILITY;
}

/** The part of a cache key that tells the variants apart. */
export function variantKey(vis: Visibility): string {
  return vis.showLimited ? "limited" : "default";
}

/** Where the toggle may send the reader back to: a page of the same board, nothing else. */
const RETURN_PATH =
  /^\/([a-z0-9]{1,30})\/(?:(?:[1-9][0-9]{0,4}|catalog(?:\?sort=(?:bump|created|replies))?|archive|thread\/[1-9][0-9]{0,14}))?$/;

export function safeReturn(board: string, value: unknown): string {
  const v = Array.isArray(value) ? value[0] : value;
  if (typeof v === "string") {
    const m = RETURN_PATH.exec(v);
    if (m && m[1] === board) return v;
  }
  return `/${board}/`;
}

/**
 * POST /:board/limited (`show=1` or `show=0`, `return` = the page the form was on): sets or clears
 * the opt-in cookie and goes back. A form rather than a link, so it works without JavaScript and no
 * prefetch or crawler flips the setting.
 */
export function limitedRoutes(s: Pick<Services, "config" | "reader">): Router {
  const r = Router();
  const form = express.urlencoded({ extended: false, limit: "2kb", parameterLimit: 10 });
  const cookie: CookieOptions = {
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    secure: s.config.publicUrl.startsWith("https://"),
  };

  r.post("/:board/limited", form, async (req, res, next) => {
    const uri = req.params["board"];
    if (!isBoardUri(uri)) return next();
    const board = await s.reader.getBoard(uri);
    if (!board) throw new DomainError("not_found", `Board /${uri}/ does not exist.`);
    const body: unknown = req.body;
    const fields = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
    const show = flag(fields["show"]);
    if (show === null)
      throw new DomainError("invalid", "Say whether to show posts from limited servers (show=1 or 0).");
    if (show) res.cookie(SHOW_LIMITED_COOKIE, "1", { ...cookie, maxAge: YEAR_MS });
    else res.clearCookie(SHOW_LIMITED_COOKIE, cookie);
    res.setHeader("Cache-Control", "no-store");
    res.redirect(303, safeReturn(board.uri, fields["return"]));
  });

  return r;
}

/**
 * The thread a machine-read document (its JSON, its feed) shows, or a 404: unlike the thread's page,
 * those leave limited servers' threads out unless the reader opted in, and never show hidden ones.
 */
export async function listedThread(
  s: Pick<Services, "reader">,
  board: Board,
  rawNo: unknown,
  vis: Visibility,
): Promise<ThreadState> {
  const no = positiveInt(rawNo);
  const state = no === null ? null : await s.reader.getThreadState(board.uri, no);
  const reach = state ? await s.reader.threadReach(board, state) : "hidden";
  if (!state || reach === "hidden" || (reach === "limited" && !vis.showLimited)) {
    throw new DomainError("not_found", `Thread /${board.uri}/${String(rawNo)} does not exist.`);
  }
  return state;
}
