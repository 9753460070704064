import { type Request, Router } from "express";
import { DomainError } from "../../domain/errors.js";
import type { DroppedDelivery, InboundRetry, PendingInbox } from "../../domain/federation-ports.js";
import type { Services } from "../../services/container.js";
import type { DeliveryActions, ReplayOutcome } from "../../services/delivery-actions.js";
import { adminBody } from "./body.js";
import { jsonObject, optionalBoolean, optionalString } from "./json.js";
import { limitParam } from "./mastodon-paging.js";

/*
 * The admin API of deliveries (mounted behind the admin API's bearer check): the backlog per
 * destination inbox, the dropped deliveries, and replays; and on the inbound side, the activities
 * received but not yet acted on (their origin out of reach), and replays of those given up on. Dropped deliveries are named by their
 * record number (`id`), newest highest, which is also the `max_id` cursor of the list.
 */

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function pendingJson(p: PendingInbox, now: number) {
  return {
    domain: p.domain,
    inbox: p.inbox,
    items: p.items,
    oldest_created_at: iso(p.oldestCreatedAt),
    oldest_age_seconds: Math.max(0, Math.round((now - p.oldestCreatedAt) / 1000)),
    head_attempts: p.headAttempts,
    last_error: p.lastError,
    next_attempt_at: iso(p.nextAttemptAt),
    failing_since: iso(p.failingSince),
    held: p.held,
    in_flight: p.inFlight,
  };
}

export function droppedJson(d: DroppedDelivery) {
  return {
    id: String(d.seq),
    delivery_id: d.id,
    domain: d.domain,
    inbox: d.inbox,
    activity_id: d.activityId,
    key_id: d.keyId,
    attempts: d.attempts,
    last_error: d.lastError,
    created_at: iso(d.createdAt),
    dropped_at: iso(d.droppedAt),
    replayable: d.body !== "",
  };
}

/** The activity's type, read from the JSON kept for it ("" when it cannot be read). */
function activityType(body: string): string {
  try {
    const t = (JSON.parse(body) as { type?: unknown }).type;
    return typeof t === "string" ? t : "";
  } catch {
    return "";
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return "";
  }
}

export function inboundJson(i: InboundRetry) {
  return {
    id: i.id,
    type: activityType(i.body),
    domain: hostOf(i.signer),
    signer: i.signer,
    board: i.board,
    received_at: iso(i.receivedAt),
    attempts: i.attempts,
    last_error: i.lastError,
    next_attempt_at: i.failedAt === null ? iso(i.nextAttemptAt) : null,
    failed_at: iso(i.failedAt),
  };
}

export function replayJson(r: ReplayOutcome) {
  return { queued: r.queued, refused: r.refused };
}

/** The delivery actions; a 409 when this instance does not federate. */
export function deliveriesOf(s: Pick<Services, "deliveries">): DeliveryActions {
  if (!s.deliveries) throw new DomainError("conflict", "Federation is off on this instance (FEDERATION=off).");
  return s.deliveries;
}

/** A record number from the path or a query: digits only. */
export function recordNumber(value: unknown, what: string): number {
  if (typeof value !== "string" || !/^[0-9]{1,15}$/.test(value)) {
    throw new DomainError(what === "id" ? "not_found" : "invalid", `${what} must be a dropped delivery's id.`);
  }
  return Number(value);
}

function domainQuery(req: Request): string | undefined {
  const v = req.query["domain"];
  if (v === undefined || v === "") return undefined;
  if (typeof v !== "string") throw new DomainError("invalid", "domain: one host name.");
  return v;
}

export function deliveryAdminRouter(s: Pick<Services, "deliveries" | "clock" | "config">): Router {
  const r = Router();
  const body = adminBody();

  r.get("/api/v1/admin/deliveries", async (req, res) => {
    const domain = domainQuery(req);
    const list = await deliveriesOf(s).pending({ limit: limitParam(req, 200, 1000), ...(domain ? { domain } : {}) });
    const now = s.clock();
    res.json(list.map((p) => pendingJson(p, now)));
  });

  r.get("/api/v1/admin/deliveries/dropped", async (req, res) => {
    const domain = domainQuery(req);
    const limit = limitParam(req, 100, 200);
    const maxId = req.query["max_id"];
    const before = maxId === undefined || maxId === "" ? undefined : recordNumber(maxId, "max_id");
    const list = await deliveriesOf(s).dropped({
      limit,
      ...(domain ? { domain } : {}),
      ...(before === undefined ? {} : { before }),
    });
    const last = list.at(-1);
    if (last && list.length === limit) {
      const u = new URL(req.path, s.config.publicUrl);
      if (req.query["limit"] !== undefined) u.searchParams.set("limit", String(limit));
      if (domain) u.searchParams.set("domain", domain);
      u.searchParams.set("max_id", String(last.seq));
      res.setHeader("Link", `<${u.toString()}>; rel="next"`);
    }
    res.json(list.map(droppedJson));
  });

  r.post("/api/v1/admin/deliveries/dropped/retry", ...body, async (req, res) => {
    const body = jsonObject(req.body, ["domain", "all"]);
    const domain = optionalString(body, "domain");
    const all = optionalBoolean(body, "all");
    if ((domain === undefined) === (all !== true)) {
      throw new DomainError("invalid", 'Name one domain, {"domain": "example.org"}, or all of them, {"all": true}.');
    }
    const actions = deliveriesOf(s);
    const outcome = domain === undefined ? await actions.retryAll() : await actions.retryDomain(domain);
    res.status(202).json(replayJson(outcome));
  });

  r.get("/api/v1/admin/deliveries/inbound", async (req, res) => {
    const failed = req.query["failed"];
    if (failed !== undefined && failed !== "true" && failed !== "false") {
      throw new DomainError("invalid", "failed: true or false.");
    }
    const list = await deliveriesOf(s).inbound({ failed: failed === "true", limit: limitParam(req, 100, 500) });
    res.json(list.map(inboundJson));
  });

  r.post("/api/v1/admin/deliveries/inbound/retry", ...body, async (req, res) => {
    const body = jsonObject(req.body, ["id", "all"]);
    const id = optionalString(body, "id");
    const all = optionalBoolean(body, "all");
    if ((id === undefined) === (all !== true)) {
      throw new DomainError("invalid", 'Name one activity, {"id": "https://…"}, or all of them, {"all": true}.');
    }
    const actions = deliveriesOf(s);
    if (id !== undefined) await actions.retryInbound(id);
    const queued = id === undefined ? await actions.retryAllInbound() : 1;
    res.status(202).json({ queued });
  });

  r.post("/api/v1/admin/deliveries/dropped/:id/retry", async (req, res) => {
    const replayed = await deliveriesOf(s).retry(recordNumber(req.params["id"], "id"));
    res.status(202).json(droppedJson(replayed));
  });

  return r;
}
