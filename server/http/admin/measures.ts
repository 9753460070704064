import { type Request, Router } from "express";
import { normalizeDomain } from "../../domain/defederation/rules.js";
import { DomainError } from "../../domain/errors.js";
import { formatSize } from "../../domain/sizes.js";
import type { Services } from "../../services/container.js";
import { type DomainMeasureKey, DomainMeasures, type MeasuredEvent } from "../../services/domain-measures.js";
import { adminBody, railsBoolean } from "./body.js";
import { parseIsoTime } from "./defederation/fields.js";

/*
 * Mastodon's `POST /api/v1/admin/measures`, for the domain keys: blocklist tools ask it how many
 * follows an instance has with a domain before they suspend it (fediblockhole does, and stops when
 * the answer is not a number). Answered as Mastodon does: one entry per known key asked for, in
 * the order asked, unknown keys left out; `total` (a string) counts everything held, whatever the
 * time range; `data` has one entry per day from `start_at` to `end_at` (none without them).
 */

const DAY_MS = 86_400_000;
/** Ten years of days: more is no dashboard's range, and each day is an entry. */
const MAX_DAYS = 3660;

interface MeasureSpec {
  unit: string | null;
  human?: (total: number) => string;
}

const MEASURES: Record<DomainMeasureKey, MeasureSpec> = {
  instance_follows: { unit: null },
  instance_followers: { unit: null },
  instance_statuses: { unit: null },
  instance_media_attachments: { unit: "bytes", human: formatSize },
};

function isMeasureKey(key: string): key is DomainMeasureKey {
  return Object.hasOwn(MEASURES, key);
}

/** `keys` as Mastodon reads it: a list, or one key as a string; absent is none. */
function keysOf(body: Record<string, unknown>): string[] {
  const keys = body["keys"];
  if (keys === undefined || keys === null) return [];
  const list = Array.isArray(keys) ? keys : [keys];
  if (!list.every((k): k is string => typeof k === "string"))
    throw new DomainError("invalid", "keys must be a list of measure names.");
  return list;
}

/** The parameters of a domain measure: `{"domain": …, "include_subdomains": …}` under its key. */
function domainParams(body: Record<string, unknown>, key: string): { domain: string; subdomains: boolean } {
  const params = body[key];
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    throw new DomainError("invalid", `param is missing or the value is empty: ${key}`);
  }
  const p = params as Record<string, unknown>;
  const domain = typeof p["domain"] === "string" ? normalizeDomain(p["domain"]) : null;
  if (domain === null) throw new DomainError("invalid", `${key}[domain] must be a domain name.`);
  const subdomains = p["include_subdomains"] === undefined ? false : railsBoolean(p["include_subdomains"]);
  if (subdomains === undefined) throw new DomainError("invalid", `${key}[include_subdomains] must be true or false.`);
  return { domain, subdomains };
}

/** The UTC days from `start_at` to `end_at`, both included: none unless both are given. */
function daysOf(body: Record<string, unknown>): number[] {
  const read = (name: string): number | null => {
    const v = body[name];
    if (v === undefined || v === null || v === "") return null;
    if (typeof v !== "string") throw new DomainError("invalid", `${name} must be an ISO 8601 time.`);
    try {
      return Math.floor(parseIsoTime(v, name) / DAY_MS) * DAY_MS;
    } catch (err) {
      throw err instanceof DomainError ? new DomainError("invalid", err.message) : err;
    }
  };
  const start = read("start_at");
  const end = read("end_at");
  if (start === null || end === null || end < start) return [];
  if ((end - start) / DAY_MS >= MAX_DAYS) throw new DomainError("invalid", `Ask for at most ${MAX_DAYS} days.`);
  const days: number[] = [];
  for (let d = start; d <= end; d += DAY_MS) days.push(d);
  return days;
}

/** A day as Mastodon's measures write it. */
function dayString(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 10)}T00:00:00.000+00:00`;
}

function measureJson(key: DomainMeasureKey, events: readonly MeasuredEvent[], days: readonly number[]) {
  const spec = MEASURES[key];
  const total = events.reduce((sum, e) => sum + e.amount, 0);
  const perDay = new Map<number, number>();
  for (const e of events) {
    const day = Math.floor(e.at / DAY_MS) * DAY_MS;
    perDay.set(day, (perDay.get(day) ?? 0) + e.amount);
  }
  return {
    key,
    unit: spec.unit,
    total: String(total),
    ...(spec.human ? { human_value: spec.human(total) } : {}),
    data: days.map((d) => ({ date: dayString(d), value: String(perDay.get(d) ?? 0) })),
  };
}

/** The measures endpoint, mounted behind the admin API's bearer check. */
export function measuresRouter(s: Pick<Services, "store">): Router {
  const r = Router();
  const measures = new DomainMeasures(s.store);
  r.post("/api/v1/admin/measures", ...adminBody(), async (req: Request, res) => {
    const body = req.body as Record<string, unknown>;
    const keys = keysOf(body).filter(isMeasureKey);
    const asked = keys.map((key) => ({ key, ...domainParams(body, key) }));
    const days = daysOf(body);
    const out = [];
    for (const m of asked) out.push(measureJson(m.key, await measures.events(m.key, m.domain, m.subdomains), days));
    res.json(out);
  });
  return r;
}
