import express, { type Request, type RequestHandler, type Router } from "express";
import multer from "multer";
import { DomainError } from "../../domain/errors.js";

/*
 * How every admin API write reads its body, as Mastodon (Rails) does: JSON,
 * `application/x-www-form-urlencoded` and `multipart/form-data` (fields only) alike, form keys in
 * Rails' bracket forms (`keys[]=a&keys[]=b` is a list, `instance_follows[domain]=x` an object), so
 * the tools written for Mastodon's admin API work whichever encoding their HTTP library picks. A
 * body in any other type is a 415: never read as empty and answered 200 with nothing changed.
 */

const LIMIT_BYTES = 64 * 1024;
const MAX_FIELDS = 200;
/** Deep enough for `a[b][]`; anything deeper is no field of this API. */
const MAX_DEPTH = 3;
/** Keys that would reach an object's prototype when nested into it. */
const UNSAFE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** How the request's body was sent: form values are text, and readers of typed fields convert them. */
export type BodyKind = "json" | "form" | "none";

const KIND = Symbol("admin body kind");

type WithKind = Request & { [KIND]?: BodyKind };

export function bodyKind(req: Request): BodyKind {
  return (req as WithKind)[KIND] ?? "none";
}

/** Whether a request carries a body at all (RFC 9112: a length above zero, or chunks). */
function hasBody(req: Request): boolean {
  if (req.headers["transfer-encoding"] !== undefined) return true;
  const length = req.headers["content-length"];
  return length !== undefined && length !== "0";
}

/** The path of a bracketed form key: `a[b][]` → ["a", "b", ""]; null when it is malformed. */
function keyPath(key: string): string[] | null {
  const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
  if (!m?.[1]) return null;
  const rest = m[2] ? [...m[2].matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1] ?? "") : [];
  return [m[1], ...rest];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Rails' reading of flat form fields into nested ones. A repeated plain key keeps its last value, as
 * Rails does; `k[]` collects every value in order.
 */
export function nestFormFields(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(flat)) {
    const path = keyPath(key);
    if (path === null || path.length > MAX_DEPTH + 1) {
      throw new DomainError("invalid", `The form field "${key.slice(0, 100)}" cannot be read.`);
    }
    if (path.some((p) => UNSAFE_KEYS.has(p))) throw new DomainError("invalid", "A form field name is not allowed.");
    const values = Array.isArray(raw) ? raw : [raw];
    let node: Record<string, unknown> = out;
    for (let i = 0; i < path.length - 1; i++) {
      const name = path[i] as string;
      const next = path[i + 1] as string;
      if (next === "") {
        if (i + 2 !== path.length) throw new DomainError("invalid", `The form field "${key}" cannot be read.`);
        const list = Array.isArray(node[name]) ? (node[name] as unknown[]) : [];
        list.push(...values);
        node[name] = list;
        node = {};
        break;
      }
      if (!isRecord(node[name])) node[name] = {};
      node = node[name] as Record<string, unknown>;
    }
    const last = path.at(-1) as string;
    if (last !== "" && (path.length === 1 || path.at(-2) !== "")) node[last] = values.at(-1);
  }
  return out;
}

/**
 * The admin API's body readers, in order: JSON, a urlencoded form, a multipart form of fields.
 * Afterwards `req.body` is an object (empty when there was no body) and bodyKind tells how it came.
 */
export function adminBody(): RequestHandler[] {
  const json = express.json({ limit: LIMIT_BYTES });
  const urlencoded = express.urlencoded({ extended: false, limit: LIMIT_BYTES, parameterLimit: MAX_FIELDS });
  const multipart = multer({
    limits: { fieldSize: LIMIT_BYTES, fields: MAX_FIELDS, files: 0, parts: MAX_FIELDS, fieldNameSize: 200 },
  }).none();
  const fieldsOnly: RequestHandler = (req, res, next) => {
    // An empty body is no form, whatever its type says (megalodon sends an empty update so).
    if (!hasBody(req)) return next();
    multipart(req, res, (err?: unknown) => {
      if (err === undefined || err === null) next();
      else if (err instanceof multer.MulterError) {
        const file = err.code === "LIMIT_FILE_COUNT" || err.code === "LIMIT_UNEXPECTED_FILE";
        next(file ? new DomainError("invalid", "This endpoint takes form fields only, no files.") : err);
      } else {
        // busboy's own errors (a malformed or truncated form) carry no status.
        next(new DomainError("invalid", "The multipart form could not be read."));
      }
    });
  };
  const settle: RequestHandler = (req, _res, next) => {
    const r = req as WithKind;
    if (!hasBody(req)) {
      r[KIND] = "none";
      req.body = {};
    } else if (req.is("json") || req.is("application/*+json")) {
      r[KIND] = "json";
    } else if (req.is("multipart/form-data")) {
      // multer has nested the bracketed names already (into objects without a prototype).
      r[KIND] = "form";
      req.body ??= {};
    } else if (req.is("application/x-www-form-urlencoded")) {
      r[KIND] = "form";
      req.body = nestFormFields((req.body ?? {}) as Record<string, unknown>);
    } else {
      throw new DomainError(
        "unsupported_media",
        "Send the body as JSON, application/x-www-form-urlencoded or multipart/form-data.",
      );
    }
    next();
  };
  return [json, urlencoded, fieldsOnly, settle];
}

/**
 * An update route: Rails routes `PATCH` to the same action as `PUT`, and tools send either.
 */
export function updateRoute(r: Router, path: string, ...handlers: RequestHandler[]): void {
  r.route(path)
    .put(...handlers)
    .patch(...handlers);
}

/**
 * Refuses an update that names none of the fields it could change: an empty or unreadable body is
 * the caller's mistake, not a success that changed nothing.
 */
export function requireSomeField(fields: Record<string, unknown>, known: readonly string[]): void {
  if (known.some((k) => fields[k] !== undefined)) return;
  throw new DomainError("invalid", `Nothing to change: give at least one of ${known.join(", ")}.`);
}

const TRUE_WORDS = new Set(["true", "1", "on", "t", "yes"]);
const FALSE_WORDS = new Set(["false", "0", "off", "f", "no", ""]);

/**
 * A boolean as JSON sends it or as Rails reads a form's or a query's: "true"/"false", "1"/"0",
 * "on"/"off" ("" is false, as an unticked box); undefined for anything else.
 */
export function railsBoolean(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v !== "string") return undefined;
  const w = v.trim().toLowerCase();
  if (TRUE_WORDS.has(w)) return true;
  if (FALSE_WORDS.has(w)) return false;
  return undefined;
}
