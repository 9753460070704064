import type { NextFunction, Request, RequestHandler, Response } from "express";
import express from "express";
import multer from "multer";
import { type Board, isBoardUri } from "../domain/board.js";
import { DomainError } from "../domain/errors.js";
import { formatSize } from "../domain/sizes.js";
import type { Services } from "../services/container.js";
import type { PostInput, UploadedFile } from "../services/posting.js";

/** Largest file any board may accept; a board's own limit is applied per request below it. */
export const MAX_UPLOAD = 64 * 1024 * 1024;

const TEXT_FIELDS = ["name", "email", "sub", "com", "password", "spoiler", "captcha_id", "captcha_answer"] as const;

/**
 * Reads a post from multipart/form-data or JSON into `req.body` / `req.file`, with multipart limits
 * taken from the board (file size, one file, few short fields), before any post work starts.
 */
export function postBodyParser(s: Pick<Services, "store">): RequestHandler {
  const uploaders = new Map<string, RequestHandler>();
  const uploader = (board: Board): RequestHandler => {
    const size = board.settings.maxFileSize;
    const key = `${size}/${board.settings.maxFiles}`;
    let u = uploaders.get(key);
    if (!u) {
      u = multer({
        storage: multer.memoryStorage(),
        // Browsers send a file name's UTF-8 bytes without naming a charset; read them as UTF-8.
        defParamCharset: "utf8",
        limits: {
          fileSize: size,
          files: board.settings.maxFiles,
          fields: 20,
          parts: 24,
          fieldSize: 64 * 1024,
          fieldNameSize: 64,
          headerPairs: 50,
        },
      }).array("file", board.settings.maxFiles);
      uploaders.set(key, u);
    }
    return u;
  };
  const json = express.json({ limit: Math.ceil((MAX_UPLOAD * 4) / 3) + 64 * 1024, strict: true });

  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const uri = String(req.params["board"]);
      const board = isBoardUri(uri) ? await s.store.boards.get(uri) : null;
      if (!board) throw new DomainError("not_found", `Board /${uri}/ does not exist.`);
      res.locals["board"] = board;
      if (req.is("multipart/form-data")) {
        const declared = Number(req.headers["content-length"]);
        if (Number.isFinite(declared) && declared > totalUploadBound(board)) {
          throw new DomainError("too_large", `The post is larger than ${formatSize(totalUploadBound(board))}.`);
        }
        uploader(board)(req, res, (err?: unknown) => {
          if (!err) next();
          else if (err instanceof multer.MulterError) {
            if (err.code === "LIMIT_FILE_SIZE") {
              const which = err.field === "file" ? "A file" : "The file";
              next(new DomainError("too_large", `${which} is larger than ${formatSize(board.settings.maxFileSize)}.`));
            } else if (
              err.code === "LIMIT_FILE_COUNT" ||
              (err.code === "LIMIT_UNEXPECTED_FILE" && err.field === "file")
            ) {
              next(tooManyFiles(board));
            } else next(err);
          } else {
            // busboy's parse errors (unterminated parts, bad headers, missing boundary) carry no status.
            next(new DomainError("invalid", "The multipart form is malformed or incomplete."));
          }
        });
      } else if (req.is("application/json")) {
        json(req, res, next);
      } else if (req.is("application/x-www-form-urlencoded")) {
        express.urlencoded({ extended: false, limit: 256 * 1024, parameterLimit: 30 })(req, res, next);
      } else {
        throw new DomainError("unsupported_media", "Send the post as multipart/form-data or application/json.");
      }
    } catch (err) {
      next(err);
    }
  };
}

/** A multipart post's whole body: every file at the board's largest size, and room for the text. */
function totalUploadBound(board: Board): number {
  return board.settings.maxFiles * board.settings.maxFileSize + 256 * 1024;
}

function tooManyFiles(board: Board): DomainError {
  const n = board.settings.maxFiles;
  return new DomainError("invalid", `A post on /${board.uri}/ takes at most ${n} ${n === 1 ? "file" : "files"}.`);
}

/** The board postBodyParser resolved. */
export function boardOf(res: Response): Board {
  return res.locals["board"] as Board;
}

/** The text fields of a parsed post body, each a string or undefined; anything else is refused. */
export function textFields(req: Request): Partial<Record<(typeof TEXT_FIELDS)[number], string>> {
  const body: unknown = req.body ?? {};
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new DomainError("invalid", "The request body must be an object of fields.");
  }
  const out: Partial<Record<(typeof TEXT_FIELDS)[number], string>> = {};
  for (const key of TEXT_FIELDS) {
    const v = (body as Record<string, unknown>)[key];
    if (v === undefined || v === null) continue;
    if (typeof v === "boolean" || typeof v === "number") out[key] = String(v);
    else if (typeof v === "string") out[key] = v;
    else throw new DomainError("invalid", `The field "${key}" must be text.`);
  }
  return out;
}

/**
 * The uploaded files in order: multipart parts named `file` (repeated, or one input with
 * `multiple`), or in JSON `file` as one file or a list, each `{name, data}` or base64 (a data URL
 * too). More than the board's `maxFiles` is refused.
 */
export function uploadedFiles(req: Request, board: Board): UploadedFile[] {
  if (Array.isArray(req.files)) {
    return req.files.map((f) => ({ buffer: f.buffer, originalName: f.originalname }));
  }
  const body = (req.body ?? {}) as Record<string, unknown>;
  const f = body["file"];
  const list = Array.isArray(f) ? f : [f];
  if (list.length > board.settings.maxFiles) throw tooManyFiles(board);
  return list.flatMap((one, i) => {
    const file = jsonFile(one, list.length > 1 ? `file[${i}]` : "file");
    return file ? [file] : [];
  });
}

function jsonFile(f: unknown, field: string): UploadedFile | null {
  if (f === undefined || f === null || f === "") return null;
  let name = "image";
  let data: unknown = f;
  if (typeof f === "object" && !Array.isArray(f)) {
    name =
      typeof (f as Record<string, unknown>)["name"] === "string"
        ? String((f as Record<string, unknown>)["name"])
        : name;
    data = (f as Record<string, unknown>)["data"];
  }
  if (typeof data !== "string")
    throw new DomainError("invalid", `The field "${field}" must be base64 data or {"name", "data"}.`);
  const b64 = data.startsWith("data:") ? data.slice(data.indexOf(",") + 1) : data;
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(b64))
    throw new DomainError("invalid", `The field "${field}" is not valid base64.`);
  const buffer = Buffer.from(b64, "base64");
  if (buffer.length === 0) throw new DomainError("invalid", `The field "${field}" is empty.`);
  return { buffer, originalName: name };
}

const truthy = (v: string | undefined) => v === "on" || v === "true" || v === "1";

/** Builds the service input from a parsed request. */
export function postInput(req: Request, board: Board, ip: string, password?: string): PostInput {
  const f = textFields(req);
  return {
    board: board.uri,
    name: f.name,
    email: f.email,
    subject: f.sub,
    comment: f.com,
    password: password ?? f.password,
    spoiler: truthy(f.spoiler),
    files: uploadedFiles(req, board),
    ip,
  };
}

/** The client's address as Express resolved it (honouring TRUST_PROXY). */
export function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? "0.0.0.0";
}
