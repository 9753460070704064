import type { IncomingMessage } from "node:http";
import express, { type ErrorRequestHandler, type Request, type Response, Router } from "express";
import { isBoardUri } from "../../server/domain/board.js";
import type { Logger } from "../../server/services/logger.js";
import { InboxRefusal, type InboxResult } from "./errors.js";
import type { Inbox } from "./inbox.js";

/** Largest activity accepted. */
export const MAX_ACTIVITY_BYTES = 256 * 1024;

const ACTIVITY_TYPES = /^application\/(?:activity\+json|ld\+json|json)\s*(?:;|$)/i;

function isActivityType(req: IncomingMessage): boolean {
  return ACTIVITY_TYPES.test(req.headers["content-type"] ?? "");
}

function problem(res: Response, status: number, title: string, detail: string, type: string): void {
  res.status(status).type("application/problem+json").send(JSON.stringify({ type, title, status, detail }));
}

function refuse(res: Response, r: InboxRefusal): void {
  problem(res, r.status, r.title, r.message, `urn:atoll:problem:inbox-${r.status}`);
}

/**
 * The inboxes: the shared one (`/ap/inbox`), each board's and the instance actor's. POST only; the
 * body is read raw (up to 256 KiB, activity JSON types only) so the Digest can be checked against
 * the bytes that were signed. Every answer is a problem document: 202 when taken (acted on or
 * ignored), a 4xx when refused, never a 5xx for anything a peer sends.
 */
export function inboxRouter(inbox: Inbox, logger: Logger): Router {
  const r = Router();
  const raw = express.raw({ type: isActivityType, limit: MAX_ACTIVITY_BYTES });

  const handle = (board: (req: Request) => string | null) => async (req: Request, res: Response) => {
    if (!Buffer.isBuffer(req.body)) {
      return refuse(res, new InboxRefusal(415, "Send the activity as application/activity+json."));
    }
    let uri: string | null = null;
    try {
      uri = board(req);
      const result: InboxResult = await inbox.receive({
        method: req.method,
        path: req.originalUrl,
        headers: req.headers,
        body: req.body,
        board: uri,
      });
      problem(
        res,
        202,
        result.outcome === "accepted" ? "Accepted" : "Ignored",
        result.detail,
        `urn:atoll:inbox:${result.outcome}`,
      );
    } catch (err) {
      if (err instanceof InboxRefusal) return refuse(res, err);
      logger.error("inbox failed", { err });
      refuse(res, new InboxRefusal(400, "The activity could not be processed."));
    }
  };

  const paths = ["/ap/inbox", "/ap/actor/inbox", "/ap/boards/:board/inbox"];
  const boardOf = (req: Request): string | null => {
    const b: unknown = req.params["board"];
    if (b === undefined) return null;
    if (!isBoardUri(b)) throw new InboxRefusal(404, "There is no such board.");
    return b;
  };
  r.post(paths, raw, handle(boardOf));
  r.all(paths, (_req, res) => {
    res.setHeader("Allow", "POST");
    refuse(res, new InboxRefusal(405, "Inboxes take POST only."));
  });

  // Body parsing failures (over the limit, a broken stream) are the peer's: answered as such.
  const onError: ErrorRequestHandler = (err, _req, res, next) => {
    if (res.headersSent) return next(err);
    const status = (err as { status?: unknown })?.status;
    if (status === 413)
      return refuse(res, new InboxRefusal(413, `Activities are limited to ${MAX_ACTIVITY_BYTES} bytes.`));
    if (status === 415) return refuse(res, new InboxRefusal(415, "The body's encoding or charset is not supported."));
    if (typeof status === "number" && status >= 400 && status < 500) {
      return refuse(res, new InboxRefusal(400, "The request body could not be read."));
    }
    logger.error("inbox failed", { err });
    refuse(res, new InboxRefusal(400, "The activity could not be processed."));
  };
  r.use(paths, onError);
  return r;
}
