import { DomainError } from "../../server/domain/errors.js";

/** Bounds on a JSON value, checked before any processing that could be made slow or deep by input. */
export interface ShapeLimits {
  /** Deepest nesting of arrays and objects; the top-level value is depth 1. */
  maxDepth: number;
  /** Most members in one object. */
  maxKeys: number;
  /** Most elements in one array. */
  maxArrayLength: number;
  /** Longest string, in UTF-16 code units; member names count too. */
  maxStringLength: number;
}

/** Generous for any real ActivityPub document, tight enough to bound the work a hostile one causes. */
export const DEFAULT_SHAPE_LIMITS: Readonly<ShapeLimits> = Object.freeze({
  maxDepth: 32,
  maxKeys: 256,
  maxArrayLength: 4096,
  maxStringLength: 512 * 1024,
});

/**
 * Member names that could reach an object's prototype when a consumer copies members with plain
 * assignment. JSON.parse itself stores them as ordinary members, so they are harmless until then;
 * no ActivityPub vocabulary uses them, so refusing them costs nothing.
 */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | undefined;
  key: string | number | undefined;
}

/**
 * Throws a DomainError unless `value` is plain JSON (null, booleans, finite numbers, strings, arrays,
 * plain objects) within `limits`. Iterative, so a hostile depth cannot exhaust the call stack, and it
 * stops at the first violation, naming where it is (`$.object.tag[3]`).
 */
export function checkShape(value: unknown, limits: ShapeLimits): void {
  const stack: Frame[] = [{ value, depth: 1, parent: undefined, key: undefined }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const v = frame.value;
    if (v === null || typeof v === "boolean") continue;
    if (typeof v === "string") {
      if (v.length > limits.maxStringLength) {
        fail("too_large", `a string of ${v.length} characters is longer than ${limits.maxStringLength}`, frame);
      }
      continue;
    }
    if (typeof v === "number") {
      if (!Number.isFinite(v)) fail("invalid", "a number is not finite", frame);
      continue;
    }
    if (typeof v !== "object") fail("invalid", `a ${typeof v} is not a JSON value`, frame);
    if (frame.depth > limits.maxDepth) {
      fail("too_large", `nesting is deeper than ${limits.maxDepth} levels`, frame);
    }
    if (Array.isArray(v)) {
      if (v.length > limits.maxArrayLength) {
        fail("too_large", `an array of ${v.length} elements is longer than ${limits.maxArrayLength}`, frame);
      }
      for (let i = v.length - 1; i >= 0; i--) {
        stack.push({ value: v[i], depth: frame.depth + 1, parent: frame, key: i });
      }
      continue;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) fail("invalid", "an object is not a plain JSON object", frame);
    const keys = Object.keys(v as object);
    if (keys.length > limits.maxKeys) {
      fail("too_large", `an object with ${keys.length} members has more than ${limits.maxKeys}`, frame);
    }
    for (const key of keys) {
      if (key.length > limits.maxStringLength) {
        fail("too_large", `a member name is longer than ${limits.maxStringLength} characters`, frame);
      }
      if (FORBIDDEN_KEYS.has(key)) fail("invalid", `the member name "${key}" is not allowed`, frame);
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      stack.push({ value: (v as Record<string, unknown>)[key], depth: frame.depth + 1, parent: frame, key });
    }
  }
}

function fail(kind: "invalid" | "too_large", problem: string, frame: Frame): never {
  throw new DomainError(kind, `JSON document refused: ${problem} at ${pathOf(frame)}`);
}

/** `$`, `$.object`, `$.tag[3].href`: where a frame sits, rebuilt only when something is refused. */
function pathOf(frame: Frame): string {
  const parts: string[] = [];
  for (let f: Frame | undefined = frame; f?.parent !== undefined; f = f.parent) {
    if (typeof f.key === "number") parts.push(`[${f.key}]`);
    else parts.push(/^[A-Za-z_$][\w$]*$/.test(f.key ?? "") ? `.${f.key}` : `[${JSON.stringify(f.key)}]`);
  }
  return `$${parts.reverse().join("")}`;
}
