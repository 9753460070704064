import type { Request } from "express";
import { DomainError } from "../../../domain/errors.js";
import type { ApiKit } from "./api-kit.js";
import { probationJson } from "./probation-view.js";

/*
 * Probation of new peers: the hosts on probation, one host's state, vouching for a host (its
 * probation ends now) and putting one back on probation (for PEER_PROBATION_DAYS from now). Each
 * change is in the domain audit log under the token that made it.
 */
export function probationApi(k: ApiKit): void {
  k.r.get("/api/v1/admin/domain_probation", async (_req, res) => {
    res.json((await k.s.probation.list()).map(probationJson));
  });

  k.r.get("/api/v1/admin/domain_probation/:domain", async (req, res) => {
    res.json(probationJson(await k.s.probation.status(domainParam(req))));
  });

  k.r.post("/api/v1/admin/domain_probation/:domain/vouch", ...k.body, async (req, res) => {
    const reason = reasonOf(k.fields(req)["reason"]);
    res.json(probationJson(await k.s.probation.vouch(domainParam(req), k.actorOf(res), reason)));
  });

  k.r.post("/api/v1/admin/domain_probation/:domain/restart", ...k.body, async (req, res) => {
    const reason = reasonOf(k.fields(req)["reason"]);
    res.json(probationJson(await k.s.probation.restart(domainParam(req), k.actorOf(res), reason)));
  });
}

function domainParam(req: Request): string {
  return String(req.params["domain"]);
}

function reasonOf(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") throw new DomainError("invalid", "reason must be a string.");
  if (value.length > 1000) throw new DomainError("invalid", "reason is limited to 1000 characters.");
  return value;
}
