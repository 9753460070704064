import { DomainError } from "../../domain/errors.js";
import type { Services } from "../../services/container.js";
import { positiveInt } from "../respond.js";
import { type AdminPageKit, checked, field } from "./page-kit.js";
import { bansView } from "./views.js";

/* Bans: the list, placing one for a post (optionally deleting the post), lifting one. */

export function banPages(s: Pick<Services, "moderation">, kit: AdminPageKit): void {
  const { page, post, render, back } = kit;

  // The service shows and places only the bans of boards the user moderates.
  page("/admin/bans", { needs: "staff" }, async (req, res, v) => {
    render(req, res, v, "Bans", bansView(v, await s.moderation.listBans(v.user)));
  });

  post("/admin/bans", { needs: "staff" }, async (_req, res, v, body) => {
    const ref = (field(body, "post") ?? "").trim();
    const m = /^([a-z0-9]{1,30})\/([1-9][0-9]{0,14})$/.exec(ref);
    if (!m) throw new DomainError("invalid", 'Name the post to ban for as "board/number", for example "b/123".');
    const postBoard = m[1] as string;
    const scope = field(body, "board");
    const board = scope !== undefined ? scope || null : checked(body, "board_only") ? postBoard : null;
    const duration = (field(body, "duration") ?? "").trim();
    if (duration !== "" && positiveInt(duration) === null) throw new DomainError("invalid", "Choose a ban length.");
    await s.moderation.ban(v.user, {
      board,
      post: ref,
      reason: field(body, "reason") ?? "",
      durationSeconds: duration === "" ? null : Number(duration),
    });
    const alsoDelete = checked(body, "delete_post");
    if (alsoDelete) await s.moderation.deletePost(v.user, postBoard, Number(m[2]));
    back(res, v, alsoDelete ? "banned_deleted" : "banned");
  });

  post("/admin/bans/:id/lift", { needs: "staff" }, async (req, res, v) => {
    await s.moderation.unban(v.user, String(req.params["id"]));
    back(res, v, "lifted");
  });
}
