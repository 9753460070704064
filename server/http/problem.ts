import type { ErrorRequestHandler, Request } from "express";
import { MulterError } from "multer";
import { DomainError, type DomainErrorKind, StorageError } from "../domain/errors.js";
import type { Logger } from "../services/logger.js";
import { type Problem, problemKindOf, problemType, sendProblem } from "./problem-document.js";

const STATUS: Record<DomainErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  locked: 423,
  too_large: 413,
  unsupported_media: 415,
  unprocessable: 422,
  rate_limited: 429,
  captcha: 400,
  busy: 503,
};

const TITLE: Record<DomainErrorKind, string> = {
  invalid: "Invalid request",
  unauthorized: "Not signed in",
  forbidden: "Forbidden",
  not_found: "Not found",
  conflict: "Already exists",
  gone: "Gone",
  locked: "Thread closed",
  too_large: "Too large",
  unsupported_media: "Unsupported file type",
  unprocessable: "Unusable file",
  rate_limited: "Too many requests",
  captcha: "Captcha failed",
  busy: "Busy",
};

/** The kind of a 4xx thrown by a library or answered by the router itself; any other 4xx is "invalid". */
const KIND_OF_STATUS: Partial<Record<number, DomainErrorKind>> = {
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  410: "gone",
  413: "too_large",
  415: "unsupported_media",
  429: "rate_limited",
};

/**
 * Turns anything thrown into the problem it stands for; an unknown error is a 500 and is logged. A
 * full disk is 507 Insufficient Storage: the server's trouble, not the request's, and passing (the
 * service that met it has logged it).
 */
export function toProblem(err: unknown, logger: Logger): Problem {
  if (err instanceof StorageError && err.reason === "unavailable") {
    return {
      type: problemType("storage-unavailable"),
      title: "Storage unavailable",
      status: 503,
      detail: err.detail,
    };
  }
  if (err instanceof StorageError) {
    return {
      type: problemType("insufficient-storage"),
      title: "Insufficient storage",
      status: 507,
      detail: err.detail,
    };
  }
  if (err instanceof DomainError) {
    return {
      type: problemType(problemKindOf(err.kind)),
      title: TITLE[err.kind],
      status: STATUS[err.kind],
      detail: err.message,
      ...err.extra,
    };
  }
  if (err instanceof MulterError) {
    const tooBig =
      err.code === "LIMIT_FILE_SIZE" || err.code === "LIMIT_FIELD_VALUE" || err.code === "LIMIT_PART_COUNT";
    const kind: DomainErrorKind = tooBig ? "too_large" : "invalid";
    return toProblem(new DomainError(kind, multerMessage(err)), logger);
  }
  const e = err as { status?: unknown; statusCode?: unknown; type?: unknown; message?: unknown };
  const status = typeof e?.status === "number" ? e.status : typeof e?.statusCode === "number" ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    // body-parser and busboy errors (too large, bad JSON, bad encoding, malformed multipart), and
    // the router's own 404.
    const kind = KIND_OF_STATUS[status] ?? "invalid";
    const detail =
      e.type === "entity.parse.failed"
        ? "The request body is not valid JSON."
        : e.type === "entity.too.large"
          ? "The request body is too large."
          : typeof e.message === "string" && e.message.length < 200
            ? e.message
            : "The request could not be read.";
    return toProblem(new DomainError(kind, detail), logger);
  }
  logger.error("unhandled error", { err });
  return {
    type: problemType("internal"),
    title: "Internal error",
    status: 500,
    detail: "Something went wrong on our side.",
  };
}

function multerMessage(err: MulterError): string {
  switch (err.code) {
    case "LIMIT_FILE_SIZE":
      return "The file is too large for this board.";
    case "LIMIT_FILE_COUNT":
    case "LIMIT_UNEXPECTED_FILE":
      return 'Attach at most one file, in the field "file".';
    case "LIMIT_FIELD_COUNT":
    case "LIMIT_PART_COUNT":
      return "The form has too many fields.";
    case "LIMIT_FIELD_KEY":
    case "LIMIT_FIELD_VALUE":
      return "A form field is too long.";
    default:
      return "The form could not be read.";
  }
}

/** Whether a request wants a machine answer (problem+json) rather than an HTML page. */
export function wantsJson(req: Request): boolean {
  if (req.path.startsWith("/api/") || req.path.endsWith(".json")) return true;
  const accept = req.headers.accept ?? "";
  return /application\/(problem\+)?json|activity\+json|ld\+json/.test(accept) && !/text\/html/.test(accept);
}

export type HtmlErrorPage = (problem: Problem, req: Request) => string;

/** The one error path: problem+json for the API, a readable page for the web. */
export function errorHandler(logger: Logger, htmlPage: HtmlErrorPage): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const problem = toProblem(err, logger);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (wantsJson(req)) sendProblem(res, problem);
    else {
      // As the API's problem documents do: a full upload queue (503) is worth retrying in a moment.
      if (problem.status === 429 && typeof problem["retry_after"] === "number")
        res.setHeader("Retry-After", String(problem["retry_after"]));
      else if (problem.status === 503) res.setHeader("Retry-After", String(problem["retry_after"] ?? 5));
      res.status(problem.status).type("html").send(htmlPage(problem, req));
    }
  };
}
