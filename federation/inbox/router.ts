import type { IncomingMessage, ServerResponse } from "node:http";
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response, Router } from "express";
import { isBoardUri } from "../../server/domain/board.js";
import { problemType, sendProblem } from "../../server/http/problem-document.js";
import type { Logger } from "../../server/services/logger.js";
import { keyIdOfHeaders } from "../http/key-id.js";
import { InboxRefusal, type InboxResult, unavailable } from "./errors.js";
import { budgetRefusal } from "./inbound-budget.js";
import { type Inbox, type InboxRequest, signerRefusal } from "./inbox.js";

/** Largest activity accepted. */
export const MAX_ACTIVITY_BYTES = 256 * 1024;

const ACTIVITY_TYPES = /^application\/(?:activity\+json|ld\+json|json)\s*(?:;|$)/i;

function isActivityType(req: IncomingMessage): boolean {
  return ACTIVITY_TYPES.test(req.headers["content-type"] ?? "");
}

/** An error for the router's error handler, with the status body-parser would have given it. */
function bodyError(status: 400 | 413, message: string): BodyError {
  return Object.assign(new Error(message), { status });
}

type BodyError = Error & { status: number };

/** Whether the request carries an uncompressed activity body that `readActivityBody` can read. */
function plainActivityBody(req: IncomingMessage): boolean {
  const encoding = req.headers["content-encoding"];
  // Node's parser has already refused a Content-Length that is not a number.
  const hasBody = req.headers["transfer-encoding"] !== undefined || req.headers["content-length"] !== undefined;
  return (encoding === undefined || encoding.toLowerCase() === "identity") && hasBody && isActivityType(req);
}

/**
 * Reads an uncompressed activity body whole, as `express.raw` would (same limit, same statuses, the
 * whole request read off before an error is answered) without its general machinery, which costs
 * more than the rest of reading a small body.
 */
function readActivityBody(req: IncomingMessage, limit: number, done: (err: BodyError | null, body?: Buffer) => void) {
  const declared = req.headers["content-length"];
  const length = declared === undefined ? null : Number(declared);
  const chunks: Buffer[] = [];
  let received = 0;
  let failed: BodyError | null = length !== null && length > limit ? bodyError(413, "request entity too large") : null;
  const cleanup = () => {
    req.off("data", onData);
    req.off("end", onEnd);
    req.off("aborted", onAborted);
    req.off("error", onError);
  };
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    if (failed) return;
    if (received > limit) {
      failed = bodyError(413, "request entity too large");
      chunks.length = 0;
    } else chunks.push(chunk);
  };
  const onEnd = () => {
    cleanup();
    if (!failed && length !== null && received !== length) {
      failed = bodyError(400, "request size did not match content length");
    }
    if (failed) return done(failed);
    done(null, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received));
  };
  const onAborted = () => {
    cleanup();
    done(bodyError(400, "request aborted"));
  };
  const onError = (err: Error) => {
    cleanup();
    done(Object.assign(err, { status: 400 }));
  };
  req.on("data", onData);
  req.on("end", onEnd);
  req.on("aborted", onAborted);
  req.on("error", onError);
}

/**
 * The raw body of an uncompressed activity (`readActivityBody`) as middleware. Compressed bodies,
 * bodies of other types and requests without a body are left to `fallback` (express.raw).
 */
function activityBody(limit: number, fallback: RequestHandler): RequestHandler {
  return (req, res, next) => {
    if (!plainActivityBody(req)) {
      fallback(req, res, next);
      return;
    }
    readActivityBody(req, limit, (err, body) => {
      if (err) return next(err);
      req.body = body;
      next();
    });
  };
}

function refuse(res: ServerResponse, r: InboxRefusal): void {
  sendProblem(res, {
    type: problemType(r.kind),
    title: r.title,
    status: r.status,
    detail: r.message,
    ...(r.retryAfter === null ? {} : { retry_after: r.retryAfter }),
  });
}

const OUTCOME_TITLES: Readonly<Record<InboxResult["outcome"], string>> = {
  accepted: "Accepted",
  ignored: "Ignored",
  rejected: "Rejected",
  deferred: "Accepted for later",
};

/** A body that could not be read (over the limit, a broken stream), answered as the peer's fault. */
function bodyRefusal(err: unknown, logger: Logger): InboxRefusal {
  const status = (err as { status?: unknown })?.status;
  if (status === 413) return new InboxRefusal(413, `Activities are limited to ${MAX_ACTIVITY_BYTES} bytes.`);
  if (status === 415) return new InboxRefusal(415, "The body's encoding or charset is not supported.");
  if (typeof status === "number" && status >= 400 && status < 500) {
    return new InboxRefusal(400, "The request body could not be read.");
  }
  logger.error("inbox failed", { err });
  return new InboxRefusal(400, "The activity could not be processed.");
}

/** Runs the inbox pipeline on a read body and answers: 202 when taken, the refusal's status otherwise. */
async function answer(inbox: Inbox, logger: Logger, res: ServerResponse, request: InboxRequest): Promise<void> {
  try {
    const result: InboxResult = await inbox.receive(request);
    // Not a problem, though written as one: peers read every inbox answer the same way.
    sendProblem(res, {
      type: `urn:atoll:inbox:${result.outcome}`,
      title: OUTCOME_TITLES[result.outcome],
      status: 202,
      detail: result.detail,
    });
  } catch (err) {
    if (err instanceof InboxRefusal) return refuse(res, err);
    // Not the peer's fault (the pipeline refuses what is): it is asked to send the activity again.
    logger.error("inbox failed", { err });
    refuse(res, unavailable("The activity could not be taken now; send it again later.", 30));
  }
}

const BOARD_INBOX = /^\/ap\/boards\/([a-z0-9]{1,30})\/inbox$/;

/** Where the inboxes are routed (the instance's, the instance actor's, each board's). */
const INBOX_PATHS = ["/ap/inbox", "/ap/actor/inbox", "/ap/boards/:board/inbox"];
/** Any request the inbox routes take, as Express matches INBOX_PATHS (any case, an optional final slash). */
const ROUTED_INBOX = /^\/ap\/(?:inbox|actor\/inbox|boards\/[^/]+\/inbox)\/?$/i;

/** Whether the inbox routes answer `path` (so that a router holding only them is entered for nothing else). */
export function isInboxPath(path: string): boolean {
  return ROUTED_INBOX.test(path);
}

/**
 * The inbox POSTs, for the HTTP server to try before it hands a request to the app. Server-to-server
 * deliveries need nothing of the app (no cookies, sessions, page headers, cross-site checks or
 * routing), so an inbox POST with an uncompressed activity body is answered here in full: refused
 * from its Signature header alone, with 403 when a suspended domain signed it or 429 when the
 * signing domain or actor has spent its inbox budget (see inbound-budget.ts: before the body is
 * read, any key is fetched or any crypto is done), or read and handed to the pipeline. Returns true when it took the request. Anything
 * else on an inbox path (other methods, compressed or mistyped bodies, paths spelled differently)
 * goes on to the inbox router, which answers the same way.
 */
export function inboxEntry(inbox: Inbox, logger: Logger): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const url = req.url;
    if (req.method !== "POST" || url === undefined || !url.startsWith("/ap/")) return false;
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    let board: string | null = null;
    if (path !== "/ap/inbox" && path !== "/ap/actor/inbox") {
      const m = BOARD_INBOX.exec(path);
      if (!m) return false;
      board = m[1]!;
    }
    const keyId = keyIdOfHeaders(req.headers);
    const refusal = keyId === null ? null : signerRefusal(inbox.deps.s, keyId, board);
    if (refusal !== null) {
      inbox.log.refused({ keyId: keyId! }, board, 403, refusal);
      refuse(res, new InboxRefusal(403, refusal));
      return true;
    }
    if (!plainActivityBody(req)) return false;
    const limited = keyId === null ? null : budgetRefusal(inbox.deps.s, inbox.followed, keyId);
    if (limited !== null) {
      inbox.log.limited(keyId!, board, limited.message);
      refuse(res, limited);
      return true;
    }
    readActivityBody(req, MAX_ACTIVITY_BYTES, (err, body) => {
      if (err) return refuse(res, bodyRefusal(err, logger));
      answer(inbox, logger, res, { method: "POST", path: url, headers: req.headers, body: body!, board }).catch(
        (failure: unknown) => logger.error("inbox failed", { err: failure }),
      );
    });
    return true;
  };
}

/**
 * The inboxes: the shared one (`/ap/inbox`), each board's and the instance actor's. POST only; the
 * body is read raw (up to 256 KiB, activity JSON types only) so the Digest can be checked against
 * the bytes that were signed. Every answer is a problem document: 202 when taken (acted on or
 * ignored), a 4xx when refused, never a 5xx for anything a peer sends.
 */
export function inboxRouter(inbox: Inbox, logger: Logger): Router {
  const r = Router();
  const raw = activityBody(MAX_ACTIVITY_BYTES, express.raw({ type: isActivityType, limit: MAX_ACTIVITY_BYTES }));

  const handle = (board: (req: Request) => string | null) => async (req: Request, res: Response) => {
    if (!Buffer.isBuffer(req.body)) {
      return refuse(res, new InboxRefusal(415, "Send the activity as application/activity+json."));
    }
    let uri: string | null;
    try {
      uri = board(req);
    } catch (err) {
      if (err instanceof InboxRefusal) return refuse(res, err);
      throw err;
    }
    await answer(inbox, logger, res, {
      method: req.method,
      path: req.originalUrl,
      headers: req.headers,
      body: req.body,
      board: uri,
    });
  };

  const paths = INBOX_PATHS;
  const boardOf = (req: Request): string | null => {
    const b: unknown = req.params["board"];
    if (b === undefined) return null;
    if (!isBoardUri(b)) throw new InboxRefusal(404, "There is no such board.");
    return b;
  };
  // Before the body is read: a request signed by a key on a suspended domain, or on one over its
  // inbox limit, costs nothing more (no parsing, no key fetch, no JSON-LD, no crypto). Unsigned ones
  // go on, to be answered 401.
  const beforeBody: RequestHandler = (req, res, next) => {
    const keyId = keyIdOfHeaders(req.headers);
    if (keyId === null) return next();
    const b: unknown = req.params["board"];
    const board = typeof b === "string" && isBoardUri(b) ? b : null;
    const refusal = signerRefusal(inbox.deps.s, keyId, board);
    if (refusal !== null) {
      inbox.log.refused({ keyId }, board, 403, refusal);
      return refuse(res, new InboxRefusal(403, refusal));
    }
    const limited = budgetRefusal(inbox.deps.s, inbox.followed, keyId);
    if (limited !== null) {
      inbox.log.limited(keyId, board, limited.message);
      return refuse(res, limited);
    }
    next();
  };
  r.post(paths, beforeBody, raw, handle(boardOf));
  r.all(paths, (_req, res) => {
    res.setHeader("Allow", "POST");
    refuse(res, new InboxRefusal(405, "Inboxes take POST only."));
  });

  // Body parsing failures (over the limit, a broken stream) are the peer's: answered as such.
  const onError: ErrorRequestHandler = (err, _req, res, next) => {
    if (res.headersSent) return next(err);
    refuse(res, bodyRefusal(err, logger));
  };
  r.use(paths, onError);
  return r;
}
