import { randomBytes } from "node:crypto";
import express, { type CookieOptions, type Request, type Response, Router } from "express";
import { type Board, isBoardUri } from "../../domain/board.js";
import { DomainError } from "../../domain/errors.js";
import type { Post } from "../../domain/post.js";
import type { Services } from "../../services/container.js";
import { PostHeld } from "../../services/held-posts.js";
import { CAPTCHA_COOKIE, captchaCookie, checkCaptcha, heldCaptchas, MAX_CAPTCHAS_HELD } from "../api/posting.js";
import { boardOf, clientIp, postBodyParser, postInput, textFields } from "../post-input.js";
import { wantsJson } from "../problem.js";
import { positiveInt } from "../respond.js";
import { staffCapcode } from "./capcode-input.js";
import { html } from "./html.js";
import type { LayoutDeps } from "./layout.js";
import { noticePage } from "./pages/notice-page.js";
import { threadPath } from "./pages/post.js";
import { StaffView, type StaffViewDeps } from "./staff-view.js";

/** The deletion password a browser posts with when its form leaves the field empty. */
export const PASSWORD_COOKIE = "atoll_pw";
const YEAR_MS = 365 * 24 * 3600 * 1000;
/** Posts one delete or report form may name. */
const MAX_SELECTED = 50;

/**
 * The web forms: posting (new thread, reply), deleting one's own posts, reporting, and the captcha
 * image. Per-reader state lives in cookies read here, never in the (shared, cached) pages.
 */
/** What the forms use: posting, reports, captchas, and the board and post lookups around them. */
export type FormRoutesDeps = LayoutDeps &
  StaffViewDeps &
  Pick<Services, "config" | "captcha" | "posting" | "moderation" | "reader" | "store">;

export function formRoutes(s: FormRoutesDeps): Router {
  const r = Router();
  const staffView = new StaffView(s);
  const body = postBodyParser(s);
  const form = express.urlencoded({ extended: false, limit: "16kb", parameterLimit: MAX_SELECTED + 10 });
  const secure = s.config.publicUrl.startsWith("https://");
  const cookie = (maxAge: number): CookieOptions => ({ httpOnly: true, sameSite: "lax", path: "/", maxAge, secure });

  /** The typed password, else the remembered one, else a new one remembered from now on. */
  const postingPassword = (req: Request, res: Response): string => {
    const typed = textFields(req).password;
    if (typed?.trim()) return typed;
    const remembered = rememberedPassword(req);
    if (remembered) return remembered;
    const fresh = randomBytes(18).toString("base64url");
    res.cookie(PASSWORD_COOKIE, fresh, cookie(YEAR_MS));
    return fresh;
  };

  /**
   * Where the poster goes next: the new post in its thread, or the board with `nonoko`; a post a
   * word filter held gets a page saying it waits for a moderator. A script posting the form (the
   * quick reply) asks for JSON instead, since a followed redirect hides the post's number.
   */
  const afterPost = async (req: Request, res: Response, board: Board, work: Promise<Post>) => {
    let post: Post;
    try {
      post = await work;
    } catch (err) {
      if (!(err instanceof PostHeld)) throw err;
      if (wantsJson(req)) {
        res.status(202).json({ held: true, message: err.message });
        return;
      }
      const back = err.held.threadNo === null ? `/${board.uri}/` : threadPath(board.uri, err.held.threadNo);
      res.status(202).send(
        noticePage(s, {
          title: "Post held for a moderator",
          message: html`<p>${err.message}</p>`,
          back: { href: back, label: err.held.threadNo === null ? `Back to /${board.uri}/` : "Back to the thread" },
          board,
        }),
      );
      return;
    }
    if (wantsJson(req)) {
      res.status(201).json({ board: board.uri, thread: post.threadNo, no: post.no });
      return;
    }
    const options = (textFields(req).email ?? "").trim().toLowerCase();
    res.redirect(303, options === "nonoko" ? `/${board.uri}/` : threadPath(board.uri, post.threadNo, post.no));
  };

  // Each page's image is a challenge of its own, added to those the reader holds (one per open
  // tab), so answering one tab's captcha leaves the others' answerable.
  r.get("/captcha.png", async (req, res) => {
    const id = s.captcha.create();
    const png = await s.captcha.image(id);
    if (!png) throw new Error("a fresh captcha has no image");
    const held = await s.captcha.usable(heldCaptchas(req));
    res.cookie(CAPTCHA_COOKIE, [id, ...held].slice(0, MAX_CAPTCHAS_HELD).join("."), captchaCookie(s));
    res.setHeader("Cache-Control", "no-store");
    res.type("png").send(png);
  });

  r.post("/:board/post", body, async (req, res) => {
    const board = boardOf(res);
    const input = postInput(req, board, clientIp(req), postingPassword(req, res));
    const capcode = await staffCapcode(staffView, req, board);
    await checkCaptcha(s, req, res, board, "thread");
    await afterPost(req, res, board, s.posting.createThread({ ...input, capcode }));
  });

  r.post("/:board/thread/:no/reply", body, async (req, res) => {
    const board = boardOf(res);
    const threadNo = positiveInt(req.params["no"]);
    if (threadNo === null) throw new DomainError("not_found", "No such thread.");
    const input = postInput(req, board, clientIp(req), postingPassword(req, res));
    const capcode = await staffCapcode(staffView, req, board);
    await checkCaptcha(s, req, res, board, "reply");
    await afterPost(req, res, board, s.posting.createReply({ ...input, threadNo, capcode }));
  });

  r.post("/:board/delete", form, async (req, res, next) => {
    const board = await formBoard(s, req.params["board"]);
    if (!board) return next();
    const fields = formFields(req);
    const nos = selectedPosts(fields, "delete");
    const typed = single(fields["password"]);
    const password = typed?.trim() ? typed : (rememberedPassword(req) ?? "");
    const fileOnly = single(fields["file_only"]) === "on";
    const done: Post[] = [];
    const failed: Array<{ no: number; error: DomainError }> = [];
    for (const no of nos) {
      const post = await s.store.posts.getPost(board.uri, no);
      try {
        await s.posting.deleteOwn(board.uri, no, password, fileOnly);
        if (post) done.push(post);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        failed.push({ no, error: err });
      }
    }
    const first = failed[0];
    if (done.length === 0 && first) throw first.error;
    const threads = new Set(done.map((p) => p.threadNo));
    const onlyThread = threads.size === 1 ? [...threads][0] : undefined;
    const threadLeft =
      onlyThread !== undefined && (fileOnly || !done.some((p) => p.no === onlyThread))
        ? await s.store.posts.getThread(board.uri, onlyThread)
        : null;
    res.send(
      noticePage(s, {
        title: fileOnly ? "Files deleted" : "Posts deleted",
        message: html`<ul class="results">${done.map((p) => html`<li>${fileOnly ? "Deleted the file of" : "Deleted"} No. ${p.no}.</li>`)}${failed.map(
          (f) => html`<li class="failed">No. ${f.no}: ${f.error.message}</li>`,
        )}</ul>`,
        back: threadLeft
          ? { href: threadPath(board.uri, threadLeft.no), label: "Back to the thread" }
          : { href: `/${board.uri}/`, label: `Back to /${board.uri}/` },
        board,
      }),
    );
  });

  r.post("/:board/report", form, async (req, res, next) => {
    const board = await formBoard(s, req.params["board"]);
    if (!board) return next();
    const fields = formFields(req);
    const nos = selectedPosts(fields, "delete", "report");
    const reason = single(fields["reason"]) ?? "";
    const category = single(fields["category"]);
    const done: Post[] = [];
    const failed: Array<{ no: number; error: DomainError }> = [];
    for (const no of nos) {
      try {
        await s.moderation.report({ board: board.uri, postNo: no, reason, category, ip: clientIp(req) });
        const post = await s.store.posts.getPost(board.uri, no);
        if (post) done.push(post);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        failed.push({ no, error: err });
      }
    }
    const first = failed[0];
    if (done.length === 0 && first) throw first.error;
    const back = done[0];
    res.send(
      noticePage(s, {
        title: "Report sent",
        message: html`<p>Thank you. The staff of /${board.uri}/ will review ${done.length === 1 ? "the post" : "the posts"}.</p>
<ul class="results">${done.map((p) => html`<li>Reported No. ${p.no}.</li>`)}${failed.map(
          (f) => html`<li class="failed">No. ${f.no}: ${f.error.message}</li>`,
        )}</ul>`,
        back: back
          ? { href: threadPath(board.uri, back.threadNo, back.no), label: "Back to the thread" }
          : { href: `/${board.uri}/`, label: `Back to /${board.uri}/` },
        board,
      }),
    );
  });

  return r;
}

async function formBoard(s: Pick<Services, "reader">, uri: unknown): Promise<Board | null> {
  if (!isBoardUri(uri)) return null;
  const board = await s.reader.getBoard(uri);
  if (!board) throw new DomainError("not_found", `Board /${uri}/ does not exist.`);
  return board;
}

function rememberedPassword(req: Request): string | null {
  const value = (req.cookies as Record<string, unknown> | undefined)?.[PASSWORD_COOKIE];
  return typeof value === "string" && /^[A-Za-z0-9_-]{8,128}$/.test(value) ? value : null;
}

type FormFields = Record<string, string | string[] | undefined>;

function formFields(req: Request): FormFields {
  const b: unknown = req.body;
  return typeof b === "object" && b !== null && !Array.isArray(b) ? (b as FormFields) : {};
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The ticked post numbers (checkboxes named `names`), distinct; at least one, at most MAX_SELECTED. */
function selectedPosts(fields: FormFields, ...names: string[]): number[] {
  const nos = new Set<number>();
  for (const name of names) {
    const v = fields[name];
    for (const item of Array.isArray(v) ? v : v === undefined ? [] : [v]) {
      const no = positiveInt(item);
      if (no !== null) nos.add(no);
    }
  }
  if (nos.size === 0) throw new DomainError("invalid", "Tick the box of at least one post first.");
  if (nos.size > MAX_SELECTED) throw new DomainError("invalid", `Select at most ${MAX_SELECTED} posts at once.`);
  return [...nos];
}
