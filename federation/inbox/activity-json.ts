import { checkShape, DEFAULT_SHAPE_LIMITS } from "../jsonld/shape.js";
import { type NormalizedActivity, normalizeActivity } from "../vocab/normalize.js";
import { malformed } from "./errors.js";

/** JSON, within the shape limits, normalized as an activity; each failure a 400 with its reason. */
export function parse(body: Buffer): { json: Record<string, unknown>; activity: NormalizedActivity } {
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8").replace(/^\uFEFF/, ""));
  } catch {
    throw malformed("The body is not valid JSON.");
  }
  return parseValue(json);
}

export function parseValue(json: unknown): { json: Record<string, unknown>; activity: NormalizedActivity } {
  try {
    checkShape(json, DEFAULT_SHAPE_LIMITS);
  } catch (err) {
    throw malformed(err instanceof Error ? err.message : "The document is refused.");
  }
  const activity = normalizeActivity(json);
  if (!activity.ok) throw malformed(`Not a usable activity: ${activity.reason}.`);
  return { json: json as Record<string, unknown>, activity };
}
