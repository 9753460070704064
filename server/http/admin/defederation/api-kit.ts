import type { Request, Response, Router } from "express";
import express from "express";
import type { AuditActor } from "../../../domain/defederation-ports.js";
import { DomainError } from "../../../domain/errors.js";
import type { Services } from "../../../services/container.js";
import { API_ACTOR } from "../../../services/staff.js";
import { bearerOf } from "../auth.js";
import { adminBody } from "../body.js";
import type { Fields } from "./fields.js";

export const CSV_TYPE = "text/csv; charset=utf-8";

/** What the defederation API and pages use of the services: the feature's own service and a few basics. */
export type DefederationHttpDeps = Pick<
  Services,
  "defederation" | "clock" | "config" | "logger" | "policy" | "probation"
>;

/** What every part of the defederation admin API reads requests with. */
export interface ApiKit {
  readonly r: Router;
  readonly s: DefederationHttpDeps;
  /** The audit log's name for who made a change: the admin token the request carried. */
  readonly actorOf: (res: Response) => AuditActor;
  /** Reads a write's body, JSON or either form encoding (../body.ts). */
  readonly body: express.RequestHandler[];
  readonly csv: express.RequestHandler;
  /** The request's body fields over its query fields; a body that is not an object is a 400. */
  readonly fields: (req: Request) => Fields;
  /** The board named in the path; the service refuses one that does not exist. */
  readonly boardParam: (req: Request) => string;
}

export function apiKit(r: Router, s: DefederationHttpDeps, maxImportBytes: number): ApiKit {
  return {
    r,
    s,
    actorOf: (res) => ({ kind: "token", id: bearerOf(res) || API_ACTOR.username }),
    body: adminBody(),
    csv: express.text({ type: ["text/csv", "text/plain", "application/csv"], limit: maxImportBytes }),
    fields: (req) => {
      const body: unknown = req.body;
      if (body !== undefined && body !== null && (typeof body !== "object" || Array.isArray(body))) {
        throw new DomainError("invalid", "The request body must be a JSON object or a form.");
      }
      return { ...(req.query as Fields), ...((body ?? {}) as Fields) };
    },
    boardParam: (req) => String(req.params["uri"]),
  };
}
