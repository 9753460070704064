import { type Request, Router } from "express";
import { DomainError } from "../../domain/errors.js";
import type { FilterAuditEntry, HeldPost, WordFilter } from "../../domain/word-filters.js";
import type { Services } from "../../services/container.js";
import { API_ACTOR } from "../../services/staff.js";
import type { FilterInput } from "../../services/word-filters.js";
import { adminBody } from "./body.js";
import { jsonObject } from "./json.js";

const iso = (ms: number) => new Date(ms).toISOString();
const FIELDS = ["pattern", "regex", "board", "action", "replacement", "scope"] as const;

/** A filter as the admin API shows it: snake_case, ISO 8601 times. */
export function filterJson(f: WordFilter) {
  return {
    id: f.id,
    pattern: f.pattern,
    regex: f.regex,
    board: f.board,
    action: f.action,
    replacement: f.replacement,
    scope: f.scope,
    created_at: iso(f.createdAt),
    updated_at: iso(f.updatedAt),
  };
}

export function filterAuditJson(e: FilterAuditEntry) {
  return { id: e.id, filter_id: e.filterId, action: e.action, filter: filterJson(e.filter), by: e.by, at: iso(e.at) };
}

/** A held local post, shaped as the held federated threads are, with the reason and `local: true`. */
export function heldPostJson(h: HeldPost) {
  return {
    id: h.id,
    board: h.board,
    local: true,
    thread: h.threadNo,
    reason: h.reason,
    subject: h.post.subject,
    name: h.post.name,
    text: h.post.comment,
    has_file: h.post.file !== null,
    received_at: iso(h.heldAt),
  };
}

/** A form sends every value as text: "true"/"false" and "" (none) are read as JSON would say them. */
function filterInput(body: unknown): FilterInput {
  const fields = jsonObject(body, FIELDS);
  const out: Record<string, unknown> = {};
  for (const key of FIELDS) {
    let v = fields[key];
    if (key === "regex" && (v === "true" || v === "on")) v = true;
    if (key === "regex" && v === "false") v = false;
    if ((key === "board" || key === "replacement") && v === "") v = null;
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function idParam(req: Request): string {
  const id = req.params["id"];
  if (typeof id !== "string" || id === "" || id.length > 100) throw new DomainError("not_found", "No such filter.");
  return id;
}

/**
 * The admin API of word filters (behind its bearer check): list, create, change and remove, and the
 * audit trail of every change. `?board=` narrows the list to one board's filters.
 */
export function filtersApiRouter(s: Pick<Services, "wordFilters">): Router {
  const r = Router();
  const body = adminBody();
  const actor = API_ACTOR;

  r.get("/api/v1/admin/filters", async (req, res) => {
    const board = req.query["board"];
    if (board !== undefined && typeof board !== "string") throw new DomainError("invalid", "board: one board uri.");
    res.json((await s.wordFilters.list(actor, board || undefined)).map(filterJson));
  });

  r.get("/api/v1/admin/filters/audit", async (_req, res) => {
    res.json((await s.wordFilters.auditTrail(actor)).map(filterAuditJson));
  });

  r.post("/api/v1/admin/filters", ...body, async (req, res) => {
    res.status(201).json(filterJson(await s.wordFilters.create(actor, filterInput(req.body))));
  });

  r.get("/api/v1/admin/filters/:id", async (req, res) => {
    res.json(filterJson(await s.wordFilters.get(actor, idParam(req))));
  });

  r.patch("/api/v1/admin/filters/:id", ...body, async (req, res) => {
    res.json(filterJson(await s.wordFilters.update(actor, idParam(req), filterInput(req.body))));
  });

  r.delete("/api/v1/admin/filters/:id", async (req, res) => {
    res.json(filterJson(await s.wordFilters.remove(actor, idParam(req))));
  });

  return r;
}
