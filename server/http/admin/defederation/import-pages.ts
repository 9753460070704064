import type { Request, RequestHandler } from "express";
import multer from "multer";
import { DomainError } from "../../../domain/errors.js";
import { ADMIN_PATH, staffUser } from "../auth.js";
import { type AdminPageKit, type FormBody, field } from "../page-kit.js";
import type { DefederationHttpDeps } from "./api-kit.js";
import { MAX_IMPORT_BYTES } from "./block-api.js";
import { importFormView, importPreviewView, importResultView } from "./import-views.js";
import { actorOf } from "./page-parts.js";

/* The block list in and out as CSV: export, and import by upload or paste, previewed before it is applied. */

const ADMINS = { needs: "manage_instance" } as const;

/** Only signed-in staff get their uploads read; anyone else goes to the sign-in page first. */
const signedInFirst: RequestHandler = (_req, res, next) => {
  if (staffUser(res)) next();
  else res.redirect(303, ADMIN_PATH);
};

/** A pasted or uploaded list: the file when one was chosen, else the text field. */
function csvOf(req: Request, body: FormBody): string {
  const file = req.file;
  const text = file && file.buffer.length > 0 ? file.buffer.toString("utf8") : (field(body, "csv") ?? "");
  if (text.trim() === "") throw new DomainError("invalid", "Choose a CSV file or paste the list.");
  return text;
}

export function importPages(s: DefederationHttpDeps, kit: AdminPageKit): void {
  const { page, postWith, render } = kit;
  const upload = multer({
    storage: multer.memoryStorage(),
    // A pasted list comes back with CRLF line ends, so the field may be a little larger than the file.
    limits: { fileSize: MAX_IMPORT_BYTES, fieldSize: 2 * MAX_IMPORT_BYTES, files: 1, fields: 10, parts: 12 },
  }).single("file");

  page("/admin/domains/export.csv", ADMINS, async (_req, res) => {
    res
      .type("text/csv; charset=utf-8")
      .setHeader("Content-Disposition", 'attachment; filename="domain_blocks.csv"')
      .send(await s.defederation.exportCsv());
  });

  page("/admin/domains/import", ADMINS, async (req, res, v) => {
    render(req, res, v, "Import domain blocks", importFormView(v));
  });

  postWith("/admin/domains/import/preview", [signedInFirst, upload], ADMINS, async (req, res, v, body) => {
    const csv = csvOf(req, body);
    const preview = await s.defederation.previewImport(csv);
    render(req, res, { ...v, path: "/admin/domains/import" }, "Import preview", importPreviewView(v, preview, csv));
  });

  postWith("/admin/domains/import", [signedInFirst, upload], ADMINS, async (req, res, v, body) => {
    const result = await s.defederation.importCsv(csvOf(req, body), actorOf(v.user));
    render(req, res, { ...v, path: "/admin/domains/import" }, "Import done", importResultView(v, result));
  });
}
