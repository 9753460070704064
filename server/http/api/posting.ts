import express, { type Request, type Response, Router } from "express";
import { DomainError } from "../../domain/errors.js";
import type { Post } from "../../domain/post.js";
import type { Services } from "../../services/container.js";
import { boardOf, clientIp, postBodyParser, postInput, textFields } from "../post-input.js";
import { positiveInt } from "../respond.js";

export const CAPTCHA_COOKIE = "atoll_captcha";

/** Checks the captcha (when on) from the body's `captcha_id`, or the cookie the captcha image set. */
export function checkCaptcha(s: Services, req: Request, res: Response): void {
  if (!s.config.captcha) return;
  const f = textFields(req);
  const cookie = (req.cookies as Record<string, string> | undefined)?.[CAPTCHA_COOKIE];
  const id = f.captcha_id || cookie;
  if (cookie && !f.captcha_id) res.clearCookie(CAPTCHA_COOKIE, { path: "/" });
  s.captcha.verify(id, f.captcha_answer);
}

export function created(s: Services, res: Response, post: Post): void {
  const url = s.urls.thread(post.board, post.threadNo, post.no);
  res
    .status(201)
    .location(url)
    .json({ no: post.no, url, ap_id: s.urls.apId(post) });
}

/** The posting API of the contract, plus captcha issue and password deletion. */
export function postingApiRouter(s: Services): Router {
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
    const input = postInput(req, board, clientIp(req));
    checkCaptcha(s, req, res);
    created(s, res, await s.posting.createThread(input));
  });

  r.post("/api/v1/boards/:board/threads/:no/replies", body, async (req, res) => {
    const board = boardOf(res);
    const threadNo = positiveInt(req.params["no"]);
    if (threadNo === null) throw new DomainError("not_found", "No such thread.");
    const input = postInput(req, board, clientIp(req));
    checkCaptcha(s, req, res);
    created(s, res, await s.posting.createReply({ ...input, threadNo }));
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
