import { SEVERITIES } from "../../server/domain/defederation/rules.js";
import { DomainError } from "../../server/domain/errors.js";
import { FOLLOW_DIRECTIONS, FOLLOW_STATES } from "../../server/domain/federation-ports.js";
import {
  SEVERANCE_ORIGINS,
  type SeveranceEvent,
  type SeveranceQuery,
  type SeveredRelationship,
} from "../../server/domain/severance.js";
import { domainArg } from "./federation.js";
import { int, str } from "./guards.js";

/* Checks shared by both adapters for severance records: each field copied and checked by itself. */

/** The most events one page returns. */
export const MAX_SEVERANCE_PAGE = 200;

function oneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new DomainError("invalid", `${what} must be one of ${allowed.join(", ")}.`);
  }
  return value as T;
}

function nonEmpty(value: unknown, what: string): string {
  const s = str(value, what);
  if (s === "") throw new DomainError("invalid", `${what} must not be empty.`);
  return s;
}

function count(value: unknown, what: string): number {
  const n = int(value, what);
  if (n < 0) throw new DomainError("invalid", `${what} must not be negative.`);
  return n;
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new DomainError("invalid", `${what} must be an object.`);
  }
  return value as Record<string, unknown>;
}

export function checkedSeveranceEvent(value: unknown): SeveranceEvent {
  const e = object(value, "severance event");
  return {
    id: nonEmpty(e["id"], "id"),
    at: int(e["at"], "at"),
    domain: domainArg(e["domain"]),
    severity: oneOf(e["severity"], SEVERITIES, "severity"),
    publicReason: str(e["publicReason"], "publicReason"),
    origin: oneOf(e["origin"], SEVERANCE_ORIGINS, "origin"),
    followersLost: count(e["followersLost"], "followersLost"),
    followingLost: count(e["followingLost"], "followingLost"),
  };
}

export function checkedSeveredRelationships(eventId: string, values: unknown): SeveredRelationship[] {
  if (!Array.isArray(values)) throw new DomainError("invalid", "relationships must be a list.");
  return values.map((value: unknown) => {
    const r = object(value, "severed relationship");
    if (r["eventId"] !== eventId) throw new DomainError("invalid", "A relationship belongs to another event.");
    return {
      eventId,
      board: nonEmpty(r["board"], "board"),
      direction: oneOf(r["direction"], FOLLOW_DIRECTIONS, "direction"),
      state: oneOf(r["state"], FOLLOW_STATES, "state"),
      remoteActor: nonEmpty(r["remoteActor"], "remoteActor"),
      domain: domainArg(r["domain"]),
    };
  });
}

export function checkedSeveranceQuery(value: unknown): SeveranceQuery {
  const q = object(value, "query");
  const limit = int(q["limit"], "limit");
  const out: SeveranceQuery = { limit: Math.max(0, Math.min(limit, MAX_SEVERANCE_PAGE)) };
  if (q["before"] !== undefined) out.before = str(q["before"], "before");
  if (q["domain"] !== undefined) out.domain = domainArg(q["domain"]);
  return out;
}
