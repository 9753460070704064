/*
 * What an answer from an inbox means for the item sent there, and when a failing destination is
 * tried again. Pure functions, shared by the worker and its tests.
 */

/**
 * `delivered`: done. `retry`: the peer may take it later (it is down, overloaded, behind a proxy in
 * maintenance, or not ready to verify us). `gone`: 410, the inbox is no more. `drop`: the peer
 * answered that it cannot take this request, and sending it again unchanged will not help.
 */
export type Verdict = "delivered" | "retry" | "gone" | "drop";

/** Answers worth sending the same request again for, besides 3xx and 5xx. */
const RETRIED_4XX = new Set([401, 403, 404, 408, 425, 429]);

/**
 * The verdict on an answer with `status` and the response's Content-Type. A 403 that comes with a
 * JSON document is the peer's application refusing this very activity (Atoll's inbox refuses one
 * that relays content of a domain it suspended that way), which no retry changes, and which would
 * hold every later item of the inbox behind it; a bare or HTML 403 is what a proxy, a firewall or
 * a maintenance page answers, and is retried.
 */
export function verdictOf(status: number, contentType = ""): Verdict {
  if (status >= 200 && status < 300) return "delivered";
  if (status === 410) return "gone";
  if (status === 403 && isJson(contentType)) return "drop";
  if ((status >= 300 && status < 400) || status >= 500 || RETRIED_4XX.has(status)) return "retry";
  return "drop";
}

/** application/json, application/problem+json, application/activity+json, application/ld+json… */
function isJson(contentType: string): boolean {
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

export interface SpacingOptions {
  /** Share of the time a destination has been failing that the next try waits. */
  share: number;
  minMs: number;
  maxMs: number;
  /** Source of jitter in [0, 1). */
  random: () => number;
}

/**
 * The wait before the next try of a destination that has been failing for `failingForMs`: a share
 * of that time, from `minMs` to `maxMs`, ±20 %. A peer down for a minute is tried every few
 * seconds, one down for an hour every five minutes, whatever the number of items waiting for it.
 */
export function retrySpacing(failingForMs: number, o: SpacingOptions): number {
  const base = Math.min(o.maxMs, Math.max(o.minMs, Math.max(0, failingForMs) * o.share));
  return Math.round(base * (0.8 + 0.4 * o.random()));
}

/** A Retry-After header (seconds or an HTTP date) as a time, or null. */
export function retryAfter(value: string | undefined, now: number): number | null {
  if (value === undefined) return null;
  const v = value.trim();
  if (/^[0-9]{1,9}$/.test(v)) return now + Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isFinite(at) ? at : null;
}

/** The start of a response body, for the error recorded with the item. */
export function snippet(body: Buffer): string {
  const text = body.subarray(0, 300).toString("utf8").replace(/\s+/g, " ").trim();
  return text === "" ? "" : `: ${text.slice(0, 200)}`;
}

/** A duration for messages: hours below two days, days above. */
export function waited(ms: number): string {
  const hours = ms / 3_600_000;
  return hours < 48 ? `${hours.toFixed(1)} h` : `${(hours / 24).toFixed(1)} days`;
}
