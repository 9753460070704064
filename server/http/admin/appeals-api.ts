import { type Request, Router } from "express";
import type { Appeal } from "../../domain/appeal.js";
import type { Services } from "../../services/container.js";
import { API_ACTOR } from "../../services/staff.js";
import { adminBody } from "./body.js";
import { jsonObject, optionalString } from "./json.js";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** An appeal as staff see it (the address hash is not shown: the ban it names has it). */
export function appealJson(a: Appeal) {
  return {
    id: a.id,
    ban_id: a.banId,
    board: a.board,
    ban_reason: a.banReason,
    text: a.text,
    status: a.status,
    created_at: iso(a.createdAt),
    decided_at: iso(a.decidedAt),
    reason: a.decisionReason,
    decided_by: a.decidedBy,
  };
}

/** `reason` from the JSON or form body, or else from the query string. */
function reasonOf(req: Request): string {
  const body = optionalString(jsonObject(req.body, ["reason"]), "reason");
  const query = req.query["reason"];
  return body ?? (typeof query === "string" ? query : "");
}

/**
 * The admin API of ban appeals (mounted behind the admin API's bearer check): the list (open ones,
 * or every one with `?all=true`), and the answers, each with the reason the poster reads.
 */
export function appealsApiRouter(s: Pick<Services, "appeals">): Router {
  const r = Router();
  const body = adminBody();

  r.get("/api/v1/admin/appeals", async (req, res) => {
    const all = req.query["all"] === "true" || req.query["all"] === "1";
    res.json((await s.appeals.list(API_ACTOR, { all })).map(appealJson));
  });

  r.post("/api/v1/admin/appeals/:id/accept", ...body, async (req, res) => {
    res.json(appealJson(await s.appeals.accept(API_ACTOR, String(req.params["id"]), reasonOf(req))));
  });

  r.post("/api/v1/admin/appeals/:id/reject", ...body, async (req, res) => {
    res.json(appealJson(await s.appeals.reject(API_ACTOR, String(req.params["id"]), reasonOf(req))));
  });

  return r;
}
