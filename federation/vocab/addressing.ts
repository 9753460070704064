/**
 * The normaliser's readers of references and addressing: `actor`, `inReplyTo` and `target`, the
 * recipient fields (with every spelling of the public collection made one), and `attributedTo`.
 */

import { urlProblem } from "./url.js";
import { checkedId, isRecord, type Limits, MAX_CANDIDATES, refuse, requiredId, typeName } from "./values.js";

export const AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

/** `actor`: an id, an object with an id, or a one-element array of either. */
export function actorId(v: unknown, L: Limits): string {
  if (typeof v === "string") return checkedId(v, "actor", L);
  if (isRecord(v)) return requiredId(v.id, "actor.id", L);
  if (Array.isArray(v)) {
    if (v.length === 1) return actorId(v[0], L);
    refuse(v.length === 0 ? "has no actor" : "actor names several actors");
  }
  refuse(v === undefined || v === null ? "has no actor" : "actor is neither an id nor an object");
}

/** An optional reference that must be valid when present (`inReplyTo` and `target`). */
export function optionalRef(v: unknown, field: string, L: Limits): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return checkedId(v, field, L);
  if (isRecord(v)) return requiredId(v.id, `${field}.id`, L);
  if (Array.isArray(v)) {
    if (v.length === 0) return undefined;
    if (v.length === 1) return optionalRef(v[0], field, L);
    refuse(`${field} names several objects`);
  }
  refuse(`${field} is neither an id nor an object`);
}

function isPublic(s: string): boolean {
  return s === AS_PUBLIC || s === "as:Public" || s === "Public" || s === "http://www.w3.org/ns/activitystreams#Public";
}

function address(v: unknown, L: Limits): string | undefined {
  const s = typeof v === "string" ? v : isRecord(v) && typeof v.id === "string" ? v.id : undefined;
  if (s === undefined) return undefined;
  if (isPublic(s)) return AS_PUBLIC;
  return urlProblem(s, L.maxIdLength) === undefined ? s : undefined;
}

/** A recipient field as an array of ids; unusable entries are left out, too many refuse. */
export function addresses(v: unknown, field: string, L: Limits): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) {
    if (v.length > L.maxRecipients) refuse(`${field} has more than ${L.maxRecipients} recipients`);
    const out: string[] = [];
    for (let i = 0; i < v.length; i++) {
      const a = address(v[i], L);
      if (a !== undefined) out.push(a);
    }
    return out;
  }
  const a = address(v, L);
  return a === undefined ? [] : [a];
}

/**
 * `attributedTo`: an id, an object, or (Lemmy, Mbin, PeerTube) an array of actors. The author is the
 * Person among them (else the first usable entry); a Group among them is where the post was published.
 */
export function attribution(v: unknown, L: Limits): { author?: string; group?: string } {
  if (v === undefined || v === null) return {};
  if (typeof v === "string") return { author: checkedId(v, "attributedTo", L) };
  if (isRecord(v)) return { author: requiredId(v.id, "attributedTo.id", L) };
  if (!Array.isArray(v)) refuse("attributedTo is neither an id nor an object");
  let person: string | undefined;
  let group: string | undefined;
  let first: string | undefined;
  const n = Math.min(v.length, MAX_CANDIDATES);
  for (let i = 0; i < n; i++) {
    const e = v[i];
    if (typeof e === "string") {
      first ??= checkedId(e, "attributedTo", L);
    } else if (isRecord(e)) {
      const id = requiredId(e.id, "attributedTo.id", L);
      const type = typeName(e.type);
      if (type === "Person") person ??= id;
      else if (type === "Group") group ??= id;
      else first ??= id;
    }
  }
  return { author: person ?? first ?? group, group: person !== undefined || first !== undefined ? group : undefined };
}
