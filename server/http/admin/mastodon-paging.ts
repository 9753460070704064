import type { Request, Response } from "express";
import { DomainError } from "../../domain/errors.js";
import type { Services } from "../../services/container.js";

/* Mastodon's paging of admin lists: `limit`, `max_id`, `since_id`, `min_id` and the `Link` header. */

const ID_PARAM = /^[A-Za-z0-9_-]{1,100}$/;

export function idParam(req: Request, what: string): string {
  const id = String(req.params["id"]);
  if (!ID_PARAM.test(id)) throw new DomainError("not_found", `No such ${what}.`);
  return id;
}

export function pagingId(req: Request, key: string): string | undefined {
  const v = req.query[key];
  if (v === undefined || v === "") return undefined;
  if (typeof v !== "string" || !ID_PARAM.test(v)) throw new DomainError("invalid", `${key} must be an id.`);
  return v;
}

/** `limit` as Mastodon reads it: the default when absent, at most `max`. */
export function limitParam(req: Request, fallback: number, max: number): number {
  const v = req.query["limit"];
  if (v === undefined || v === "") return fallback;
  if (typeof v !== "string" || !/^[0-9]{1,9}$/.test(v) || Number(v) < 1) {
    throw new DomainError("invalid", "limit must be a whole number from 1.");
  }
  return Math.min(Number(v), max);
}

/**
 * One page of a list in Mastodon's order (by id, descending), with its `Link` header: `max_id`
 * returns what comes after an id, `since_id` the newest above one, `min_id` those just above one.
 * The order is the ids' own, so a page boundary stays put however the list changes around it, and
 * a cursor whose item was deleted still works.
 */
export function paginate<T extends { id: string }>(
  req: Request,
  res: Response,
  s: Pick<Services, "config">,
  items: readonly T[],
): T[] {
  const limit = limitParam(req, 100, 200);
  const maxId = pagingId(req, "max_id");
  const sinceId = pagingId(req, "since_id");
  const minId = pagingId(req, "min_id");
  const desc = [...items].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  let window = desc;
  if (maxId !== undefined) window = window.filter((x) => x.id < maxId);
  let page: T[];
  if (minId !== undefined) {
    const above = window.filter((x) => x.id > minId);
    page = above.slice(Math.max(0, above.length - limit));
  } else {
    if (sinceId !== undefined) window = window.filter((x) => x.id > sinceId);
    page = window.slice(0, limit);
  }
  const links: string[] = [];
  const url = (param: string, id: string) => {
    const u = new URL(req.path, s.config.publicUrl);
    if (req.query["limit"] !== undefined) u.searchParams.set("limit", String(limit));
    u.searchParams.set(param, id);
    return u.toString();
  };
  const last = page.at(-1);
  const first = page[0];
  if (last && page.length === limit && desc.some((x) => x.id < last.id))
    links.push(`<${url("max_id", last.id)}>; rel="next"`);
  if (first) links.push(`<${url("min_id", first.id)}>; rel="prev"`);
  if (links.length > 0) res.setHeader("Link", links.join(", "));
  return page;
}
