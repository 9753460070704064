import { DomainError } from "../../server/domain/errors.js";
import {
  type DeliveryRetry,
  type DeliveryWorkerRecord,
  FOLLOW_DIRECTIONS,
  FOLLOW_STATES,
  type Follow,
  type KeyPair,
  type NewDelivery,
  type NewInboundRetry,
  type RemoteActor,
  type RemotePostRef,
} from "../../server/domain/federation-ports.js";
import { int, nullableInt, nullableStr, str } from "./guards.js";

/*
 * Checks shared by both adapters for what federation stores. Values arrive from remote servers, so
 * each record is copied field by field (no stray property reaches a row or a document) and a value
 * of the wrong type is a DomainError before any query runs.
 */

/** Longest error text kept with a delivery: enough for a status line and the start of a body. */
export const MAX_ERROR_LENGTH = 2000;

function object(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== "object") throw new DomainError("invalid", `${what} must be an object.`);
  return value as Record<string, unknown>;
}

/** A domain as stored and matched: a non-empty string, in lower case. */
export function domainArg(value: unknown, what = "domain"): string {
  const domain = str(value, what).toLowerCase();
  if (domain === "") throw new DomainError("invalid", `${what} must not be empty.`);
  return domain;
}

/** A count or a duration that must be a whole, non-negative number. */
export function nonNegativeInt(value: unknown, what: string): number {
  const n = int(value, what);
  if (n < 0) throw new DomainError("invalid", `${what} must not be negative.`);
  return n;
}

/** An error message cut to MAX_ERROR_LENGTH characters. */
export function boundedError(value: unknown): string {
  return str(value, "error").slice(0, MAX_ERROR_LENGTH);
}

export function checkedKeyPair(value: unknown): KeyPair {
  const pair = object(value, "key pair");
  return {
    publicKeyPem: str(pair["publicKeyPem"], "publicKeyPem"),
    privateKeyPem: str(pair["privateKeyPem"], "privateKeyPem"),
  };
}

export function checkedRemoteActor(value: unknown): RemoteActor {
  const a = object(value, "actor") as Record<keyof RemoteActor, unknown>;
  return {
    id: str(a.id, "id"),
    type: str(a.type, "type"),
    inbox: str(a.inbox, "inbox"),
    sharedInbox: nullableStr(a.sharedInbox, "sharedInbox"),
    preferredUsername: nullableStr(a.preferredUsername, "preferredUsername"),
    name: nullableStr(a.name, "name"),
    summary: nullableStr(a.summary, "summary"),
    url: nullableStr(a.url, "url"),
    iconUrl: nullableStr(a.iconUrl, "iconUrl"),
    followers: nullableStr(a.followers, "followers"),
    keyId: str(a.keyId, "keyId"),
    publicKeyPem: str(a.publicKeyPem, "publicKeyPem"),
    domain: domainArg(a.domain),
    fetchedAt: int(a.fetchedAt, "fetchedAt"),
    raw: str(a.raw, "raw"),
  };
}

export function checkedFollow(value: unknown): Follow {
  const f = object(value, "follow") as Record<keyof Follow, unknown>;
  if (!(FOLLOW_DIRECTIONS as readonly unknown[]).includes(f.direction)) {
    throw new DomainError("invalid", 'direction must be "inbound" or "outbound".');
  }
  if (!(FOLLOW_STATES as readonly unknown[]).includes(f.state)) {
    throw new DomainError("invalid", 'state must be "pending" or "accepted".');
  }
  return {
    id: str(f.id, "id"),
    actorId: str(f.actorId, "actorId"),
    objectId: str(f.objectId, "objectId"),
    board: str(f.board, "board"),
    direction: f.direction as Follow["direction"],
    state: f.state as Follow["state"],
    inbox: str(f.inbox, "inbox"),
    sharedInbox: nullableStr(f.sharedInbox, "sharedInbox"),
    domain: domainArg(f.domain),
    createdAt: int(f.createdAt, "createdAt"),
  };
}

/** The items of an enqueue, checked; a list naming one id twice keeps the first. */
export function checkedDeliveries(values: unknown): NewDelivery[] {
  if (!Array.isArray(values)) throw new DomainError("invalid", "deliveries must be a list.");
  const out = new Map<string, NewDelivery>();
  for (const value of values) {
    const d = object(value, "delivery") as Record<keyof NewDelivery, unknown>;
    const item: NewDelivery = {
      id: str(d.id, "id"),
      inbox: str(d.inbox, "inbox"),
      domain: domainArg(d.domain),
      body: str(d.body, "body"),
      keyId: str(d.keyId, "keyId"),
      activityId: str(d.activityId, "activityId"),
    };
    if (!out.has(item.id)) out.set(item.id, item);
  }
  return [...out.values()];
}

/** The arguments of a claim, checked: whole, non-negative numbers, and the worker's id or null. */
export function checkedClaim(
  now: unknown,
  limit: unknown,
  leaseMs: unknown,
  perDomainLimit: unknown,
  worker: unknown,
  workerShare: unknown = undefined,
): { now: number; limit: number; until: number; perDomain: number; share: number; worker: string | null } {
  const at = int(now, "now");
  const perDomain = nonNegativeInt(perDomainLimit, "perDomainLimit");
  return {
    now: at,
    limit: nonNegativeInt(limit, "limit"),
    until: at + nonNegativeInt(leaseMs, "leaseMs"),
    perDomain,
    share: workerShare === undefined ? perDomain : Math.min(nonNegativeInt(workerShare, "workerShare"), perDomain),
    worker: nullableStr(worker, "worker"),
  };
}

/** What a failed attempt or a hold changes, checked; the error of expired items is bounded too. */
export function checkedRetry(value: unknown): {
  at: number;
  error: string;
  now: number;
  dropBefore: number | null;
  expiredError: string;
} {
  const r = object(value, "retry") as Record<keyof DeliveryRetry, unknown>;
  const error = r.error === undefined ? "" : boundedError(r.error);
  return {
    at: int(r.at, "at"),
    error,
    now: int(r.now, "now"),
    dropBefore: nullableInt(r.dropCreatedBefore, "dropCreatedBefore"),
    expiredError: r.expiredError === undefined ? error || "Gave up." : boundedError(r.expiredError),
  };
}

export function checkedWorkerRecord(value: unknown): DeliveryWorkerRecord {
  const w = object(value, "worker") as Record<keyof DeliveryWorkerRecord, unknown>;
  return {
    id: str(w.id, "id"),
    host: str(w.host, "host"),
    pid: int(w.pid, "pid"),
    processStartedAt: int(w.processStartedAt, "processStartedAt"),
    startedAt: int(w.startedAt, "startedAt"),
    heartbeatAt: int(w.heartbeatAt, "heartbeatAt"),
  };
}

/** Record numbers of dropped deliveries, checked, each once, in increasing order. */
export function checkedSeqs(values: unknown): number[] {
  if (!Array.isArray(values)) throw new DomainError("invalid", "seqs must be a list.");
  return [...new Set(values.map((v) => int(v, "seq")))].sort((a, b) => a - b);
}

/**
 * Chooses, from due inboxes offered in the order they should go, those a claim may lease: at most
 * `limit` in all, at most `perDomain` per domain counting every worker's leases in force, and at
 * most `share` per domain counting the claiming worker's own. `active` gives, by domain, the leases
 * in force and how many of them are the claiming worker's. The adapters stop reading due inboxes as
 * soon as `offer` says the claim is full.
 */
export class ClaimPicker {
  readonly picked: string[] = [];
  private readonly taken: Map<string, number>;
  private readonly mine: Map<string, number>;
  private readonly share: number;

  constructor(
    active: Iterable<readonly [domain: string, leases: number, mine?: number]>,
    private readonly limit: number,
    private readonly perDomain: number,
    share?: number,
  ) {
    const rows = [...active];
    this.taken = new Map(rows.map(([domain, n]) => [domain, n]));
    this.mine = new Map(rows.map(([domain, , m]) => [domain, m ?? 0]));
    this.share = Math.min(share ?? perDomain, perDomain);
  }

  /** True once nothing more can be taken. */
  get full(): boolean {
    return this.picked.length >= this.limit || this.share <= 0;
  }

  /** The domains that have no room left for this claim, which a query may leave out. */
  saturated(): string[] {
    return [...this.taken.keys()].filter((domain) => !this.#room(domain));
  }

  /** Takes the inbox if its domain has room; returns whether the claim is now full. */
  offer(item: { id: string; domain: string }): boolean {
    if (this.#room(item.domain)) {
      this.taken.set(item.domain, (this.taken.get(item.domain) ?? 0) + 1);
      this.mine.set(item.domain, (this.mine.get(item.domain) ?? 0) + 1);
      this.picked.push(item.id);
    }
    return this.full;
  }

  #room(domain: string): boolean {
    return (this.taken.get(domain) ?? 0) < this.perDomain && (this.mine.get(domain) ?? 0) < this.share;
  }
}

export function checkedRemotePostRef(value: unknown): RemotePostRef {
  const r = object(value, "remote post") as Record<keyof RemotePostRef, unknown>;
  const via = r.via === undefined || r.via === null ? undefined : str(r.via, "via");
  return {
    apId: str(r.apId, "apId"),
    board: str(r.board, "board"),
    no: int(r.no, "no"),
    ...(via === undefined ? {} : { via }),
  };
}

/** Largest activity body kept for another try (the inbox refuses larger ones before this). */
const MAX_RETRY_BODY = 1024 * 1024;

export function checkedInboundRetry(value: unknown): NewInboundRetry {
  const r = object(value, "inbound retry") as Record<keyof NewInboundRetry, unknown>;
  const body = str(r.body, "body");
  if (body.length > MAX_RETRY_BODY) throw new DomainError("too_large", "The activity is too large to keep.");
  const id = str(r.id, "id");
  if (id === "") throw new DomainError("invalid", "id must not be empty.");
  return {
    id,
    board: nullableStr(r.board, "board"),
    signer: str(r.signer, "signer"),
    body,
    lastError: boundedError(r.lastError),
  };
}
