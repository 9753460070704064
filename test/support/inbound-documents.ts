import { expect } from "vitest";
import {
  AS_PUBLIC,
  type NormalizeError,
  normalizeActivity,
  normalizeActor,
  normalizeObject,
} from "../../federation/vocab/normalize.js";

/* Inbound ActivityPub documents as Mastodon sends them, and checks on what normalizing them gives. */

export const ACTOR = "https://social.example/users/alice";

/** A public Note by ACTOR; `extra` adds or replaces members. */
export function note(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: "https://social.example/users/alice/statuses/1",
    type: "Note",
    attributedTo: ACTOR,
    content: "<p>hello</p>",
    to: [AS_PUBLIC],
    cc: [`${ACTOR}/followers`],
    ...extra,
  };
}

/** A Create of `object` by ACTOR; `extra` adds or replaces members. */
export function create(object: unknown = note(), extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    "@context": "https://www.w3.org/ns/activitystreams",
    id: "https://social.example/users/alice/statuses/1/activity",
    type: "Create",
    actor: ACTOR,
    to: [AS_PUBLIC],
    object,
    ...extra,
  };
}

/** The normalized document; throws with the reason when it was refused. */
export function ok<T extends { ok: true }>(result: T | NormalizeError): T {
  if (!result.ok) throw new Error(`refused: ${result.reason}`);
  return result;
}

/** The reason a document was refused; fails when it was taken. */
export function refused(result: { ok: boolean }): string {
  expect(result.ok).toBe(false);
  return (result as NormalizeError).reason;
}

/** The normalized activity, object or actor; each throws when the document was refused. */
export const activity = (json: unknown) => ok(normalizeActivity(json));
export const object = (json: unknown) => ok(normalizeObject(json));
export const actor = (json: unknown) => ok(normalizeActor(json));
