import { DomainError } from "../../domain/errors.js";
import { positiveInt } from "../respond.js";
import { html } from "../web/html.js";
import { type AdminPageKit, checked, type FormBody, field } from "./page-kit.js";
import { remoteBansView } from "./remote-ban-views.js";
import { banRemoteAccount, federatedAuthor, liftBan, type RemoteBanHttpDeps } from "./remote-bans.js";
import { bansView } from "./views.js";

/*
 * Bans: the list (address bans, then bans of fediverse accounts), placing one for a post
 * (optionally deleting the post; a federated post's author is banned as an account), banning an
 * account by name, lifting either kind.
 */

export function durationOf(body: FormBody): number | null {
  const duration = (field(body, "duration") ?? "").trim();
  if (duration !== "" && positiveInt(duration) === null) throw new DomainError("invalid", "Choose a ban length.");
  return duration === "" ? null : Number(duration);
}

export function banPages(s: RemoteBanHttpDeps, kit: AdminPageKit): void {
  const { page, post, render, back } = kit;

  // The services show and place only the bans of boards the user moderates.
  page("/admin/bans", { needs: "staff" }, async (req, res, v) => {
    const local = bansView(v, await s.moderation.listBans(v.user));
    render(req, res, v, "Bans", html`${local}${remoteBansView(v, await s.remoteBans.list(v.user))}`);
  });

  post("/admin/bans", { needs: "staff" }, async (_req, res, v, body) => {
    const ref = (field(body, "post") ?? "").trim();
    const m = /^([a-z0-9]{1,30})\/([1-9][0-9]{0,14})$/.exec(ref);
    if (!m) throw new DomainError("invalid", 'Name the post to ban for as "board/number", for example "b/123".');
    const postBoard = m[1] as string;
    const scope = field(body, "board");
    const board = scope !== undefined ? scope || null : checked(body, "board_only") ? postBoard : null;
    const input = { board, reason: field(body, "reason") ?? "", durationSeconds: durationOf(body) };
    if ((await federatedAuthor(s, v.user, ref)) !== null) await banRemoteAccount(s, v.user, { ...input, post: ref });
    else await s.moderation.ban(v.user, { ...input, post: ref });
    const alsoDelete = checked(body, "delete_post");
    if (alsoDelete) await s.moderation.deletePost(v.user, postBoard, Number(m[2]));
    back(res, v, alsoDelete ? "banned_deleted" : "banned");
  });

  post("/admin/account-bans", { needs: "staff" }, async (_req, res, v, body) => {
    await banRemoteAccount(s, v.user, {
      actor: (field(body, "actor") ?? "").trim(),
      board: field(body, "board") || null,
      reason: field(body, "reason") ?? "",
      durationSeconds: durationOf(body),
      deletePosts: checked(body, "delete_posts"),
    });
    back(res, v, "banned");
  });

  post("/admin/bans/:id/lift", { needs: "staff" }, async (req, res, v) => {
    await liftBan(s, v.user, String(req.params["id"]));
    back(res, v, "lifted");
  });
}
