import type {
  Delivery,
  DeliveryWorkerRecord,
  DroppedDelivery,
  PendingInbox,
} from "../../../server/domain/federation-ports.js";

/* The rows of the delivery tables (migration 6) and their domain records. */

export interface ItemRow {
  seq: number;
  id: string;
  inbox: string;
  domain: string;
  body: string;
  key_id: string;
  activity_id: string;
  attempts: number;
  last_error: string | null;
  created_at: number;
}

export interface InboxRow {
  inbox: string;
  domain: string;
  next_attempt_at: number;
  leased_until: number | null;
  leased_by: string | null;
  failing_since: number | null;
  held: number;
}

export interface DroppedRow {
  seq: number;
  id: string;
  inbox: string;
  domain: string;
  body: string;
  key_id: string;
  activity_id: string;
  attempts: number;
  last_error: string;
  created_at: number;
  dropped_at: number;
}

export interface PendingRow {
  inbox: string;
  domain: string;
  items: number;
  oldest: number;
  attempts: number;
  last_error: string | null;
  next_attempt_at: number;
  failing_since: number | null;
  held: number;
  in_flight: number;
}

export interface WorkerRow {
  id: string;
  host: string;
  pid: number;
  process_started_at: number;
  started_at: number;
  heartbeat_at: number;
}

export const ITEM_COLUMNS = "seq, id, inbox, domain, body, key_id, activity_id, attempts, last_error, created_at";
export const INBOX_COLUMNS = "inbox, domain, next_attempt_at, leased_until, leased_by, failing_since, held";
export const DROPPED_COLUMNS =
  "seq, id, inbox, domain, body, key_id, activity_id, attempts, last_error, created_at, dropped_at";
export const WORKER_COLUMNS = "id, host, pid, process_started_at, started_at, heartbeat_at";

/** A claimed item with the state of its inbox. */
export function deliveryFromRows(item: ItemRow, inbox: InboxRow): Delivery {
  return {
    seq: item.seq,
    id: item.id,
    inbox: item.inbox,
    domain: item.domain,
    body: item.body,
    keyId: item.key_id,
    activityId: item.activity_id,
    attempts: item.attempts,
    nextAttemptAt: inbox.next_attempt_at,
    leasedUntil: inbox.leased_until,
    leasedBy: inbox.leased_by,
    lastError: item.last_error,
    createdAt: item.created_at,
    failingSince: inbox.failing_since,
  };
}

export function droppedFromRow(r: DroppedRow): DroppedDelivery {
  return {
    seq: r.seq,
    id: r.id,
    inbox: r.inbox,
    domain: r.domain,
    body: r.body,
    keyId: r.key_id,
    activityId: r.activity_id,
    attempts: r.attempts,
    lastError: r.last_error,
    createdAt: r.created_at,
    droppedAt: r.dropped_at,
  };
}

export function pendingFromRow(r: PendingRow): PendingInbox {
  return {
    inbox: r.inbox,
    domain: r.domain,
    items: r.items,
    oldestCreatedAt: r.oldest,
    headAttempts: r.attempts,
    lastError: r.last_error,
    nextAttemptAt: r.next_attempt_at,
    failingSince: r.failing_since,
    held: r.held === 1,
    inFlight: r.in_flight === 1,
  };
}

export function workerFromRow(r: WorkerRow): DeliveryWorkerRecord {
  return {
    id: r.id,
    host: r.host,
    pid: r.pid,
    processStartedAt: r.process_started_at,
    startedAt: r.started_at,
    heartbeatAt: r.heartbeat_at,
  };
}

export function workerToRow(w: DeliveryWorkerRecord): WorkerRow {
  return {
    id: w.id,
    host: w.host,
    pid: w.pid,
    process_started_at: w.processStartedAt,
    started_at: w.startedAt,
    heartbeat_at: w.heartbeatAt,
  };
}
