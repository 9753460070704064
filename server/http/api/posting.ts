import express, { type CookieOptions, type Request, type Response, Router } from "express";
import { type Board, captchaNeeded } from "../../domain/board.js";
import { DomainError } from "../../domain/errors.js";
import type { Post } from "../../domain/post.js";
import type { Services } from "../../services/container.js";
import { PostHeld } from "../../services/held-posts.js";
import { boardOf, clientIp, postBodyParser, postInput, textFields } from "../post-input.js";
import { positiveInt } from "../respond.js";

export const CAPTCHA_COOKIE = "atoll_captcha";
/** Challenges a reader may hold at once in the cookie: one per open tab, the newest first. */
export const MAX_CAPTCHAS_HELD = 4;
const CAPTCHA_TTL_MS = 10 * 60 * 1000;

/** The challenge ids in the captcha cookie, newest first. */
export function heldCaptchas(req: Request): string[] {
  const value = (req.cookies as Record<string, unknown> | undefined)?.[CAPTCHA_COOKIE];
  if (typeof value !== "string" || value.length > 4096) return [];
  return value
    .split(".")
    .filter((id) => id !== "")
    .slice(0, MAX_CAPTCHAS_HELD);
}

/**
 * Checks the captcha (when on) from the body's `captcha_id`, or else against the challenges the
 * captcha images set in the cookie (each open page loads its own): the one solved is spent and
 * the others stay, so a second tab's captcha still works.
 */
export async function checkCaptcha(
  s: Pick<Services, "config" | "captcha">,
  req: Request,
  res: Response,
  board: Board,
  kind: "thread" | "reply",
): Promise<void> {
  if (!captchaNeeded(board, s.config.captcha, kind)) return;
  const f = textFields(req);
  if (f.captcha_id) {
    await s.captcha.verify(f.captcha_id, f.captcha_answer);
    return;
  }
  const held = heldCaptchas(req);
  let solved: string;
  try {
    solved = await s.captcha.verifyAny(held, f.captcha_answer);
  } catch (err) {
    if (held.length > 0) res.clearCookie(CAPTCHA_COOKIE, { path: "/" });
    throw err;
  }
  const left = await s.captcha.usable(held.filter((id) => id !== solved));
  if (left.length === 0) res.clearCookie(CAPTCHA_COOKIE, { path: "/" });
  else res.cookie(CAPTCHA_COOKIE, left.join("."), captchaCookie(s));
}

/** How the captcha cookie is set: for this site only, out of scripts' reach, for a challenge's life. */
export function captchaCookie(s: Pick<Services, "config">): CookieOptions {
  return {
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    maxAge: CAPTCHA_TTL_MS,
    secure: s.config.publicUrl.startsWith("https://"),
  };
}

/** 201 with the new post, or 202 when a word filter held it for a moderator. */
async function answered(s: Pick<Services, "urls">, res: Response, work: Promise<Post>): Promise<void> {
  try {
    created(s, res, await work);
  } catch (err) {
    if (!(err instanceof PostHeld)) throw err;
    res.status(202).json({ held: true, detail: err.message });
  }
}

export function created(s: Pick<Services, "urls">, res: Response, post: Post): void {
  const url = s.urls.thread(post.board, post.threadNo, post.no);
  res
    .status(201)
    .location(url)
    .json({ no: post.no, url, ap_id: s.urls.apId(post) });
}

/** The posting API of the contract, plus captcha issue and password deletion. */
export function postingApiRouter(
  s: Pick<Services, "config" | "captcha" | "posting" | "urls" | "store" | "staff">,
): Router {
  const r = Router();
  const body = postBodyParser(s);

  r.get("/api/v1/captcha", async (_req, res) => {
    const id = s.captcha.create();
    const png = await s.captcha.image(id);
    res.setHeader("Cache-Control", "no-store");
    res.json({ id, image: `data:image/png;base64,${png?.toString("base64") ?? ""}`, ttl: 600 });
  });

  r.post("/api/v1/boards/:board/threads", body, async (req, res) => {
    const board = boardOf(res);
    const byStaff = await adminBearer(s, req);
    const input = postInput(req, board, clientIp(req));
    // An admin token is an admin's: no captcha, and it may start threads where only staff may.
    if (!byStaff) await checkCaptcha(s, req, res, board, "thread");
    await answered(s, res, s.posting.createThread({ ...input, byStaff }, { board }));
  });

  r.post("/api/v1/boards/:board/threads/:no/replies", body, async (req, res) => {
    const board = boardOf(res);
    const threadNo = positiveInt(req.params["no"]);
    if (threadNo === null) throw new DomainError("not_found", "No such thread.");
    const input = postInput(req, board, clientIp(req));
    await checkCaptcha(s, req, res, board, "reply");
    await answered(s, res, s.posting.createReply({ ...input, threadNo }, { board }));
  });

  r.delete("/api/v1/boards/:board/posts/:no", express.json({ limit: "4kb" }), async (req, res) => {
    const no = positiveInt(req.params["no"]);
    if (no === null) throw new DomainError("not_found", "No such post.");
    const b = (req.body ?? {}) as Record<string, unknown>;
    const password = typeof b["password"] === "string" ? b["password"] : "";
    await s.posting.deleteOwn(String(req.params["board"]), no, password, b["file_only"] === true);
    res.status(204).end();
  });

  return r;
}

/**
 * Whether the request carries a valid admin token (`Authorization: Bearer`). Posting needs none;
 * one that is sent and not valid is a 401, never silently an anonymous post.
 */
async function adminBearer(s: Pick<Services, "staff">, req: Request): Promise<boolean> {
  const header = req.headers.authorization;
  if (header === undefined) return false;
  const m = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  if (m && (await s.staff.bearerIdentity(m[1])) !== null) return true;
  throw new DomainError("unauthorized", "The bearer token is not valid.");
}
