import express, { Router } from "express";
import { DomainError } from "../../domain/errors.js";
import type { Services } from "../../services/container.js";
import { clientIp } from "../post-input.js";
import { appealPage } from "../web/pages/appeal-page.js";

const BAN_ID = /^[A-Za-z0-9-]{1,100}$/;

/**
 * Banned posters appeal their ban: `POST /api/v1/appeals` `{ban_id, text}` answers 201 with the
 * appeal; the plain HTML form on the ban page (urlencoded, from a browser) is sent on to the ban's
 * page, `/about/bans/:ban_id`, where the poster later reads the answer. Only the address the ban is
 * for may appeal it or read its page; anyone else is told there is no such ban.
 */
export function appealsRouter(s: Pick<Services, "appeals" | "config" | "reader">): Router {
  const r = Router();
  const json = express.json({ limit: "8kb" });
  const form = express.urlencoded({ extended: false, limit: "8kb", parameterLimit: 10 });

  r.post("/api/v1/appeals", json, form, async (req, res) => {
    const body: unknown = req.body ?? {};
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new DomainError("invalid", "The request body must be an object with ban_id and text.");
    }
    const fields = body as Record<string, unknown>;
    const appeal = await s.appeals.appeal({ banId: fields["ban_id"], text: fields["text"], ip: clientIp(req) });
    const page = `/about/bans/${encodeURIComponent(appeal.banId)}`;
    if (req.is("application/x-www-form-urlencoded") && req.accepts(["json", "html"]) === "html") {
      res.redirect(303, page);
      return;
    }
    res
      .status(201)
      .location(page)
      .json({
        id: appeal.id,
        ban_id: appeal.banId,
        status: appeal.status,
        created_at: new Date(appeal.createdAt).toISOString(),
      });
  });

  r.get("/about/bans/:ban_id", async (req, res) => {
    const banId = String(req.params["ban_id"]);
    if (!BAN_ID.test(banId)) throw new DomainError("not_found", "There is no such ban.");
    const ip = clientIp(req);
    const [ban, appeal] = await Promise.all([s.appeals.banForPoster(banId, ip), s.appeals.forPoster(banId, ip)]);
    if (!ban && !appeal) throw new DomainError("not_found", "There is no such ban for you.");
    res.setHeader("Cache-Control", "no-store");
    res.type("html").send(appealPage(s, banId, ban, appeal));
  });

  return r;
}
