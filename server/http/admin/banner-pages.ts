import type { RequestHandler } from "express";
import multer from "multer";
import { BANNER_MAX_BYTES } from "../../domain/board.js";
import { removeBoardBanner, setBoardBanner } from "../../services/board-banner.js";
import type { Services } from "../../services/container.js";
import { ADMIN_PATH, staffUser } from "./auth.js";
import type { AdminPageKit } from "./page-kit.js";

/* A board's banner on its settings page: uploading one (replacing the last) and removing it. */

const MANAGERS = { needs: "manage_board" } as const;

/** Only signed-in staff get their uploads read; anyone else goes to the sign-in page first. */
const signedInFirst: RequestHandler = (_req, res, next) => {
  if (staffUser(res)) next();
  else res.redirect(303, ADMIN_PATH);
};

export function bannerPages(s: Pick<Services, "boards" | "images" | "media">, kit: AdminPageKit): void {
  const { post, postWith, back } = kit;
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: BANNER_MAX_BYTES, fieldSize: 4096, files: 1, fields: 5, parts: 6 },
  }).single("banner");

  postWith("/admin/boards/:uri/banner", [signedInFirst, upload], MANAGERS, async (req, res, v) => {
    const uri = String(req.params["uri"]);
    await setBoardBanner(s, uri, req.file?.buffer);
    back(res, v, "banner_saved", `/admin/boards/${uri}`);
  });

  post("/admin/boards/:uri/banner/remove", MANAGERS, async (req, res, v) => {
    const uri = String(req.params["uri"]);
    await removeBoardBanner(s, uri);
    back(res, v, "banner_removed", `/admin/boards/${uri}`);
  });
}
