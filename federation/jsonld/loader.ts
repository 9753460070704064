import jsonld, { type DocumentLoader, type RemoteDocument } from "jsonld";
import { DomainError, isDomainError } from "../../server/domain/errors.js";
import { AS_CONTEXT, contextAliases, LITEPUB_CONTEXT, preloadedContexts } from "./contexts/index.js";
import { checkShape, DEFAULT_SHAPE_LIMITS, type ShapeLimits } from "./shape.js";

export type { DocumentLoader, RemoteDocument } from "jsonld";
export { checkShape, DEFAULT_SHAPE_LIMITS, type ShapeLimits } from "./shape.js";

/** Pleroma and Akkoma serve the Litepub context from every instance under this path. */
const LITEPUB_INSTANCE_PATH = "/schemas/litepub-0.1.jsonld";

/**
 * The lookup key of a context URL: host (with any port) and path, without scheme, fragment or
 * trailing slashes, so that `http://…`, `https://…/`, and `…#` spell the same document. Undefined for
 * anything that is not a plain http(s) URL; credentials in a URL make it unusable too.
 */
function contextKey(url: string): string | undefined {
  if (url.length > 2048) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return undefined;
  if (parsed.username !== "" || parsed.password !== "") return undefined;
  const path = parsed.pathname.replace(/\/+$/, "");
  return `${parsed.host}${path}${parsed.search}`;
}

function isLitepubInstanceUrl(url: string): boolean {
  if (contextKey(url) === undefined) return false;
  const parsed = new URL(url);
  return parsed.search === "" && parsed.pathname.endsWith(LITEPUB_INSTANCE_PATH);
}

/**
 * A jsonld document loader that serves the preloaded contexts (ActivityStreams, security v1,
 * data-integrity v1 and v2, Litepub under its own URL and every instance's `/schemas/litepub-0.1.jsonld`,
 * GoToSocial, Lemmy, WebFinger) plus `extra` (URL → document, for example Atoll's own context), and
 * refuses every other URL with a DomainError naming it. It never touches the network, so a peer cannot
 * make this server fetch anything, or wait on anything, by naming a context.
 *
 * Documents are kept as JSON text and parsed on each load: jsonld rewrites relative context URLs in
 * place, and fresh copies keep that from reaching any other loader or caller.
 */
export function createDocumentLoader(extra?: Record<string, unknown>): DocumentLoader {
  const documents = new Map<string, string>();
  const add = (url: string, document: unknown) => {
    const key = contextKey(url);
    if (key === undefined) throw new Error(`not an http(s) context URL: ${url}`);
    if (typeof document !== "object" || document === null || Array.isArray(document)) {
      throw new Error(`the context document for ${url} is not a JSON object`);
    }
    documents.set(key, JSON.stringify(document));
  };
  for (const [url, document] of preloadedContexts()) add(url, document);
  for (const [alias, canonical] of contextAliases()) {
    const text = documents.get(contextKey(canonical)!)!;
    documents.set(contextKey(alias)!, text);
  }
  for (const [url, document] of Object.entries(extra ?? {})) add(url, document);
  const litepub = documents.get(contextKey(LITEPUB_CONTEXT)!)!;

  return async (url: string): Promise<RemoteDocument> => {
    const key = typeof url === "string" ? contextKey(url) : undefined;
    let text = key === undefined ? undefined : documents.get(key);
    if (text === undefined && typeof url === "string" && isLitepubInstanceUrl(url)) text = litepub;
    if (text === undefined) {
      throw new DomainError("invalid", `JSON-LD context not preloaded: ${String(url).slice(0, 300)}`);
    }
    return { contextUrl: null, documentUrl: url, document: JSON.parse(text) };
  };
}

export interface ExpandOptions {
  /** Largest serialized size, in UTF-8 bytes. */
  maxBytes: number;
  /** Deepest nesting of arrays and objects. */
  maxDepth: number;
  /** The other shape bounds; DEFAULT_SHAPE_LIMITS where not given. */
  shape?: Partial<Omit<ShapeLimits, "maxDepth">>;
  /** Reuse one loader across calls; a fresh preloaded-only loader otherwise. */
  documentLoader?: DocumentLoader;
}

/**
 * Parses (when given text), bounds-checks and expands an ActivityStreams document with jsonld and the
 * preloaded loader. The size and shape are checked before jsonld sees anything. A document that does
 * not name the ActivityStreams context is read as if it did, as ActivityStreams 2.0 §2.1 prescribes
 * for application/activity+json. Failures are DomainErrors: `too_large` over the bounds, `invalid`
 * for malformed JSON, a context that is not preloaded, or a JSON-LD error.
 */
export async function expandActivity(doc: unknown, opts: ExpandOptions): Promise<unknown[]> {
  const input = boundedInput(doc, opts);
  try {
    return await jsonld.expand(input, {
      documentLoader: opts.documentLoader ?? createDocumentLoader(),
      expandContext: AS_CONTEXT,
    });
  } catch (e) {
    throw asDomainError(e, "expansion");
  }
}

/**
 * Compacts a document (expanded, or compacted against other contexts) to the ActivityStreams context
 * alone, with the same bounds and loader rules as expandActivity.
 */
export async function compactToAs(doc: unknown, opts: Partial<ExpandOptions> = {}): Promise<Record<string, unknown>> {
  const input = boundedInput(doc, {
    maxBytes: opts.maxBytes ?? 1024 * 1024,
    maxDepth: opts.maxDepth ?? DEFAULT_SHAPE_LIMITS.maxDepth,
    ...(opts.shape ? { shape: opts.shape } : {}),
  });
  try {
    return await jsonld.compact(input, AS_CONTEXT, {
      documentLoader: opts.documentLoader ?? createDocumentLoader(),
      expandContext: AS_CONTEXT,
    });
  } catch (e) {
    throw asDomainError(e, "compaction");
  }
}

function boundedInput(doc: unknown, opts: ExpandOptions): unknown {
  const limits: ShapeLimits = { ...DEFAULT_SHAPE_LIMITS, ...opts.shape, maxDepth: opts.maxDepth };
  let value = doc;
  if (typeof doc === "string") {
    // Text is measured before parsing, so an oversized body is never parsed at all.
    const bytes = Buffer.byteLength(doc, "utf8");
    if (bytes > opts.maxBytes) {
      throw new DomainError("too_large", `JSON document of ${bytes} bytes is larger than ${opts.maxBytes}`);
    }
    try {
      value = JSON.parse(doc);
    } catch {
      throw new DomainError("invalid", "JSON document refused: not valid JSON");
    }
    checkShape(value, limits);
  } else {
    // Shape first: it bounds depth, so serializing to measure the size cannot overflow the stack.
    checkShape(value, limits);
    const bytes = Buffer.byteLength(JSON.stringify(value) ?? "", "utf8");
    if (bytes > opts.maxBytes) {
      throw new DomainError("too_large", `JSON document of ${bytes} bytes is larger than ${opts.maxBytes}`);
    }
  }
  if (typeof value !== "object" || value === null) {
    throw new DomainError("invalid", "JSON document refused: not an object or array");
  }
  return value;
}

/** The refusal from our own loader when jsonld wrapped it, else a DomainError describing the failure. */
function asDomainError(e: unknown, step: string): DomainError {
  for (let cause: unknown = e, hops = 0; cause !== undefined && hops < 5; hops++) {
    if (isDomainError(cause)) return cause;
    cause = (cause as { details?: { cause?: unknown } } | null)?.details?.cause;
  }
  const message = e instanceof Error ? e.message : String(e);
  return new DomainError("invalid", `JSON-LD ${step} failed: ${message.slice(0, 300)}`);
}
