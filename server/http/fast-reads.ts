import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { Express, Request } from "express";
import { isBoardUri } from "../domain/board.js";
import type { Services } from "../services/container.js";
import type { BoardSnapshot, Visibility } from "../services/reader.js";
import type { Rendered } from "../services/render-cache.js";
import { SESSION_COOKIE } from "./admin/auth.js";
import { clientIp } from "./post-input.js";
import { type CacheSlot, htmlKey, jsonSlots, pageSlots } from "./read-keys.js";
import type { ObservedRequest, RequestObserver } from "./request-observer.js";
import { notModified, statedModified } from "./respond.js";
import { type HeaderLine, recordHeaders, securityHeaders } from "./security-headers.js";
import { listedThread, SHOW_LIMITED_COOKIE, variantKey, visibilityFromCookie } from "./web/limited.js";

type Kind = "thread" | "catalog" | "index" | "threadJson" | "catalogJson" | "threadsJson" | "pageJson";

/** The reads answered here: the path, what it is, and its route pattern as the Express routers name it. */
const ROUTES: readonly (readonly [RegExp, Kind, string])[] = [
  [/^\/([a-z0-9]+)\/thread\/([1-9][0-9]{0,14})$/, "thread", "/:board/thread/:no"],
  [/^\/([a-z0-9]+)\/thread\/([1-9][0-9]{0,14})\.json$/, "threadJson", "/:board/thread/:no.json"],
  [/^\/([a-z0-9]+)\/catalog$/, "catalog", "/:board/catalog"],
  [/^\/([a-z0-9]+)\/catalog\.json$/, "catalogJson", "/:board/catalog.json"],
  [/^\/([a-z0-9]+)\/threads\.json$/, "threadsJson", "/:board/threads.json"],
  [/^\/([a-z0-9]+)\/()$/, "index", "/:board/"],
  [/^\/([a-z0-9]+)\/([2-9]|[1-9][0-9]{1,14})$/, "index", "/:board/:page"],
  [/^\/([a-z0-9]+)\/([1-9][0-9]{0,14})\.json$/, "pageJson", "/:board/:page.json"],
];

/** Slots kept between two changes of the store; more distinct reads than this start the set again. */
const SETTLED_SLOTS = 4096;

/** sendRendered's Vary for these reads: the opt-in cookie chooses the variant besides the encodings. */
const VARY = "Accept, Accept-Encoding, Cookie";
const BROTLI = /\bbr\b/;
const GZIP = /\bgzip\b/;

const JSON_KINDS: ReadonlySet<Kind> = new Set(["threadJson", "catalogJson", "threadsJson", "pageJson"]);

interface Candidate {
  kind: Kind;
  route: string;
  board: string;
  /** The thread's or the page's number (1 for a board's first page). */
  no: number;
  vis: Visibility;
}

/**
 * Cached reads answered by the HTTP server before Express: a thread page, catalog, board index page
 * or 4chan JSON whose rendering for the CURRENT version is in the render cache is sent from there,
 * with the headers the Express routes send (the security headers recorded from the same middleware,
 * ETag, Last-Modified, Vary, 304s, the compressed body kept with the entry). The version is read
 * from the store exactly as the routes read it, so invalidation is the same in every process.
 *
 * Everything it is not sure of goes to Express untouched: other methods and paths, query strings,
 * a staff session cookie (staff get pages with controls), cookies it cannot read plainly,
 * ActivityPub content negotiation, a store error, a miss (Express builds the entry), and a client
 * over the request limit (Express counts the read again and answers the 429).
 */
export class FastReads {
  /** The security headers as a flat name, value list; the JSON's with its CORS header after them. */
  private readonly htmlHead: string[];
  private readonly jsonHead: string[];
  /**
   * The slots worked out while the store, the board snapshot and the rules stayed as they are (see
   * `slot`), by read; emptied when any of them moves.
   */
  private readonly settled = new Map<string, CacheSlot>();
  private settledStamp: string | undefined;
  private settledSnapshot: BoardSnapshot | undefined;
  private settledRules: string | undefined;
  /** Last-Modified values formatted within the current second (they depend on it), by change time. */
  private readonly dated = new Map<number, string>();
  private datedSecond = 0;

  constructor(
    private readonly s: Pick<Services, "reader" | "cache" | "config" | "limits" | "store">,
    /** The Express app, whose request prototype gives the client address as its routes see it. */
    private readonly app: Express,
    private readonly observer?: RequestObserver,
  ) {
    this.htmlHead = flatHeaders(recordHeaders(securityHeaders(s.config)));
    this.jsonHead = [...this.htmlHead, "Access-Control-Allow-Origin", "*"];
  }

  /**
   * Answers `req` when it is a current cached read; resolves false (having touched nothing) when
   * Express must answer it.
   */
  async serve(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const started = performance.now();
    const candidate = this.candidate(req);
    if (!candidate) return false;
    if (this.s.config.rateLimit && !this.withinLimit(req)) return false;
    let slot: CacheSlot | null;
    try {
      slot = await this.slot(candidate);
    } catch {
      // Express reads the store again and answers the failure as it does for every route.
      return false;
    }
    if (!slot) return false;
    const rendered = this.s.cache.peek(JSON_KINDS.has(candidate.kind) ? slot.key : htmlKey(slot.key), slot.version);
    if (!rendered) return false;
    const bytes = this.send(req, res, rendered, JSON_KINDS.has(candidate.kind));
    // Told once the response is handed to the connection: what is left is the socket's work.
    this.observer?.observe(new Observed(this, req, candidate.route, res.statusCode, started, bytes));
    return true;
  }

  /**
   * Sends `r` with the headers, in the order, that the Express routes send (the security headers,
   * then sendRendered's), as one prebuilt list given to writeHead rather than header by header.
   * Returns the body bytes sent.
   */
  private send(req: IncomingMessage, res: ServerResponse, r: Rendered, json: boolean): number {
    const head = (json ? this.jsonHead : this.htmlHead).slice();
    head.push(
      "Content-Type",
      r.contentType,
      "ETag",
      r.etag,
      "Last-Modified",
      this.lastModified(r.lastModified),
      "Cache-Control",
      "no-cache",
      "Vary",
      VARY,
    );
    if (notModified(req, r)) {
      res.writeHead(304, head);
      res.end();
      return 0;
    }
    const accepts = req.headers["accept-encoding"];
    let body = r.body;
    if (typeof accepts === "string" && BROTLI.test(accepts)) {
      body = r.brotli;
      head.push("Content-Encoding", "br");
    } else if (typeof accepts === "string" && GZIP.test(accepts)) {
      body = r.gzip;
      head.push("Content-Encoding", "gzip");
    }
    head.push("Content-Length", String(body.length));
    res.writeHead(200, head);
    res.end(body);
    return req.method === "HEAD" ? 0 : body.length;
  }

  /** The Last-Modified stated for a change at `at`, formatted once per second for each time. */
  private lastModified(at: number): string {
    const now = Date.now();
    const second = now - (now % 1000);
    if (second !== this.datedSecond) {
      this.dated.clear();
      this.datedSecond = second;
    }
    let text = this.dated.get(at);
    if (text === undefined) {
      text = new Date(statedModified(at, now)).toUTCString();
      this.dated.set(at, text);
    }
    return text;
  }

  /** The client's address as Express's routes see it (for the access log's hash, and the limiter). */
  clientAddress(req: IncomingMessage): string {
    // What Express does first with every request: its `req.ip` then honours TRUST_PROXY.
    if (Object.getPrototypeOf(req) !== this.app.request) Object.setPrototypeOf(req, this.app.request);
    return clientIp(req as Request);
  }

  /** What the request asks for, when it is a read this path may answer; decided without the store. */
  private candidate(req: IncomingMessage): Candidate | null {
    if (req.method !== "GET" && req.method !== "HEAD") return null;
    const url = req.url;
    if (url === undefined || url.includes("?")) return null;
    const accept = req.headers.accept;
    if (accept !== undefined && /application\/(activity|ld)\+json/i.test(accept)) return null;
    const vis = this.visibility(req.headers.cookie);
    if (!vis) return null;
    for (const [pattern, kind, route] of ROUTES) {
      const m = pattern.exec(url);
      if (!m) continue;
      const board = m[1] ?? "";
      if (!isBoardUri(board)) return null;
      return { kind, route, board, no: m[2] ? Number(m[2]) : 1, vis };
    }
    return null;
  }

  /**
   * The variant the cookies choose; null when Express must decide (a staff session, or an opt-in
   * cookie whose value is not a plain token, which cookie-parser might read otherwise).
   */
  private visibility(header: string | undefined): Visibility | null {
    if (header === undefined) return visibilityFromCookie(undefined);
    let choice: string | undefined;
    for (const part of header.split(";")) {
      const eq = part.indexOf("=");
      if (eq < 0) continue;
      const name = part.slice(0, eq).trim();
      if (name === SESSION_COOKIE) return null;
      // The first of repeated cookies counts, as cookie-parser reads them.
      if (name !== SHOW_LIMITED_COOKIE || choice !== undefined) continue;
      choice = part.slice(eq + 1).trim();
      if (!/^[A-Za-z0-9]*$/.test(choice)) return null;
    }
    return visibilityFromCookie(choice);
  }

  /** The request limiter's decision on this read, counted as the Express path counts it. */
  private withinLimit(req: IncomingMessage): boolean {
    return this.s.limits.read(this.clientAddress(req)) === 0;
  }

  /**
   * Where the current rendering would be in the cache. A slot depends only on what the store holds,
   * the board snapshot and the rules' version; where the store tells cheaply whether anything was
   * committed since (its change stamp), a slot worked out while none of the three moved is used
   * again instead of reading the store for it. A slot worked out while something moved is not kept.
   */
  private async slot(c: Candidate): Promise<CacheSlot | null> {
    const store = this.s.store;
    if (!store.changeStamp) return this.workOut(c, await this.s.reader.boardSnapshot());
    const stamp = store.changeStamp();
    const snapshot = await this.s.reader.boardSnapshot();
    const rules = this.s.reader.rulesVersion();
    if (stamp !== this.settledStamp || snapshot !== this.settledSnapshot || rules !== this.settledRules) {
      this.settled.clear();
      this.settledStamp = stamp;
      this.settledSnapshot = snapshot;
      this.settledRules = rules;
    }
    const key = `${c.kind}:${c.board}:${c.no}:${variantKey(c.vis)}`;
    const kept = this.settled.get(key);
    if (kept) return kept;
    const slot = await this.workOut(c, snapshot);
    if (
      slot &&
      store.changeStamp() === stamp &&
      this.settledStamp === stamp &&
      this.s.reader.rulesVersion() === rules
    ) {
      if (this.settled.size >= SETTLED_SLOTS) this.settled.clear();
      this.settled.set(key, slot);
    }
    return slot;
  }

  /** The slot read from the store as the Express routes read it. */
  private async workOut(c: Candidate, snapshot: BoardSnapshot): Promise<CacheSlot | null> {
    const reader = this.s.reader;
    const variant = variantKey(c.vis);
    const board = snapshot.byUri.get(c.board);
    if (!board) return null;
    switch (c.kind) {
      case "thread": {
        const state = await reader.getThreadState(board.uri, c.no);
        if (!state || (await reader.threadReach(board, state)) === "hidden") return null;
        return pageSlots.thread(board, state, snapshot.version, reader.rulesVersion(), variant);
      }
      case "catalog":
        return pageSlots.catalog(
          board,
          "bump",
          await reader.boardStamp(board),
          snapshot.version,
          reader.rulesVersion(),
          variant,
        );
      case "index":
        return pageSlots.index(
          board,
          c.no,
          await reader.boardStamp(board),
          snapshot.version,
          reader.rulesVersion(),
          variant,
        );
      case "threadJson": {
        const state = await listedThread(this.s, board, String(c.no), c.vis);
        const fingerprint = snapshot.fingerprints.get(board.uri);
        return jsonSlots.thread(board, state, fingerprint, reader.rulesVersion(), variant);
      }
      case "catalogJson":
        return jsonSlots.board("catalog", board, await reader.boardStamp(board), reader.rulesVersion(), variant);
      case "threadsJson":
        return jsonSlots.board("threads", board, await reader.boardStamp(board), reader.rulesVersion(), variant);
      case "pageJson":
        return jsonSlots.page(board, c.no, await reader.boardStamp(board), reader.rulesVersion(), variant);
    }
  }
}

/** `lines` as the flat name, value list writeHead takes. */
function flatHeaders(lines: readonly HeaderLine[]): string[] {
  const flat: string[] = [];
  for (const [name, value] of lines) {
    if (typeof value === "object") for (const v of value) flat.push(name, v);
    else flat.push(name, String(value));
  }
  return flat;
}

/** What the observer is told of a read answered here; the client's address is worked out only if asked. */
class Observed implements ObservedRequest {
  readonly method: string;
  readonly path: string;
  readonly seconds: number;
  readonly userAgent: string | undefined;

  constructor(
    private readonly reads: FastReads,
    private readonly req: IncomingMessage,
    readonly route: string,
    readonly status: number,
    started: number,
    readonly bytes: number,
  ) {
    this.method = req.method ?? "GET";
    this.path = req.url ?? "/";
    this.seconds = (performance.now() - started) / 1000;
    this.userAgent = req.headers["user-agent"];
  }

  get address(): string {
    return this.reads.clientAddress(this.req);
  }
}
