import { domainOfUrl } from "../../server/domain/defederation/rules.js";
import type { Logger } from "../../server/services/logger.js";
import type { InboxCounts } from "../../server/services/metrics.js";
import { keyOwnerOf } from "../http/signatures.js";

/** What is known of an inbound activity when it is decided: filled in as the pipeline learns it. */
export interface InboundFacts {
  keyId?: string;
  id?: string;
  type?: string;
  actor?: string;
}

/** Refusals by a limit are logged once per signing domain in this long, however many follow. */
const LIMIT_LOG_EVERY_MS = 60_000;

/**
 * The one info line per inbound activity, taken or refused, with the reason. It names only what is
 * public (the activity's id and type, its actor, the signing domain, the board) and never the
 * sender's address nor anything of the content. Refusals by the inbound limits are the exception to
 * one line each: while a domain is over its budget, one line a minute says so, since a flood would
 * otherwise write the flood into the log.
 */
export class InboundLog {
  readonly #limited = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly clock: () => number,
    /** Told of every decision, limited ones included (the metrics). */
    private readonly counts?: InboxCounts,
  ) {}

  taken(facts: InboundFacts, board: string | null, outcome: string, detail: string): void {
    this.counts?.taken(outcome);
    this.logger.info(`inbox: ${outcome}`, { ...fields(facts, board), reason: detail });
  }

  refused(facts: InboundFacts, board: string | null, status: number, reason: string): void {
    this.counts?.refused(status);
    this.logger.info("inbox: refused", { ...fields(facts, board), status, reason });
  }

  /** A refusal by the inbound limits (429): logged when the domain's last one was a minute ago or more. */
  limited(keyId: string, board: string | null, reason: string): void {
    this.counts?.refused(429);
    const domain = domainOfUrl(keyId) ?? "";
    const now = this.clock();
    const last = this.#limited.get(domain);
    if (last !== undefined && now - last < LIMIT_LOG_EVERY_MS) return;
    if (this.#limited.size >= 10_000) this.#limited.clear();
    this.#limited.set(domain, now);
    this.logger.info("inbox: refused", {
      ...fields({ keyId }, board),
      status: 429,
      reason: `${reason} (logged once a minute while it lasts)`,
    });
  }
}

function fields(facts: InboundFacts, board: string | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (facts.type !== undefined) out["type"] = facts.type;
  if (facts.id !== undefined) out["id"] = facts.id;
  const actor = facts.actor ?? (facts.keyId === undefined ? undefined : keyOwnerOf(facts.keyId));
  if (actor !== undefined) out["actor"] = actor;
  const domain = domainOfUrl(actor ?? facts.keyId ?? "");
  if (domain !== null) out["domain"] = domain;
  if (board !== null) out["board"] = board;
  return out;
}
