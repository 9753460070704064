import { DEFAULT_PDQ_DISTANCE, MAX_PDQ_DISTANCE, type MediaBan } from "../../domain/media-safety/media-bans.js";
import type { Services } from "../../services/container.js";
import { fileTim } from "../respond.js";
import { type Html, html } from "../web/html.js";
import { mediaBanAuditPages } from "./media-ban-audit-pages.js";
import { mediaBanListPages, mediaBanListsSection } from "./media-ban-list-pages.js";
import { mediaBanOfferPages } from "./media-ban-offer-pages.js";
import { type AdminPageKit, field } from "./page-kit.js";
import { actionForm, csrfField, time, type ViewContext } from "./views.js";

/*
 * Media bans: the list with a way to lift each, a form to ban a hash, and "Delete and ban this
 * file", the one action offered on every post's staff controls and in the reports queue.
 */

function mediaBansView(v: ViewContext, bans: MediaBan[], lists: Html): Html {
  const rows = bans.map(
    (b) => html`<tr>
  <td>${b.kind === "pdq" ? html`PDQ (within ${String(b.distance ?? DEFAULT_PDQ_DISTANCE)})` : "SHA-256"}</td>
  <td><code>${b.hash}</code></td>
  <td>${b.reason}</td>
  <td>${time(b.createdAt)}</td>
  <td>${b.createdBy}</td>
  <td>${b.source}</td>
  <td>${actionForm(v, `/admin/media-bans/${encodeURIComponent(b.id)}/lift`, "Lift")}</td>
</tr>`,
  );
  return html`<section>
  <h2>Ban a file by its hash</h2>
  <form method="post" action="/admin/media-bans" class="admin-form">
    ${csrfField(v.csrf)}<input type="hidden" name="back" value="${v.path}">
    <p><label>Kind <select name="kind"><option value="sha256">SHA-256 (exact copies)</option><option value="pdq">PDQ (look-alikes)</option></select></label></p>
    <p><label>Hash <input name="hash" required pattern="[0-9a-fA-F]{64}" size="70"></label></p>
    <p><label>PDQ distance <input name="distance" type="number" min="0" max="${String(MAX_PDQ_DISTANCE)}" placeholder="${String(DEFAULT_PDQ_DISTANCE)}"></label></p>
    <p><label>Reason <input name="reason" maxlength="500"></label></p>
    <p><button type="submit">Ban</button></p>
  </form>
  <p><a href="/api/v1/admin/media_bans/export">Export</a> is in the admin API (one hash a line).</p>
</section>
<section>
  <h2>Media bans in force</h2>
  ${
    bans.length === 0
      ? html`<p>No media bans.</p>`
      : html`<table class="admin-table">
    <thead><tr><th>Kind</th><th>Hash</th><th>Reason</th><th>Placed</th><th>By</th><th>Source</th><th></th></tr></thead>
    <tbody>${rows}</tbody>
  </table>`
  }
</section>
${lists}`;
}

export function mediaBanPages(
  s: Pick<Services, "mediaBans" | "mediaBanLists" | "mediaBanOffers" | "staff">,
  kit: AdminPageKit,
): void {
  const { page, post, render, back } = kit;

  // The service lets only instance-wide moderators see and manage the list.
  page("/admin/media-bans", { needs: "staff" }, async (req, res, v) => {
    const bans = await s.mediaBans.list(v.user);
    render(req, res, v, "Media bans", mediaBansView(v, bans, await mediaBanListsSection(s, v, v.user)));
  });

  post("/admin/media-bans", { needs: "staff" }, async (_req, res, v, body) => {
    const kind = field(body, "kind") === "pdq" ? "pdq" : "sha256";
    const distance = (field(body, "distance") ?? "").trim();
    await s.mediaBans.create(v.user, {
      [kind]: field(body, "hash") ?? "",
      reason: field(body, "reason"),
      ...(distance === "" ? {} : { distance: /^[0-9]{1,3}$/.test(distance) ? Number(distance) : distance }),
    });
    back(res, v, "media_banned");
  });

  post("/admin/media-bans/:id/lift", { needs: "staff" }, async (req, res, v) => {
    await s.mediaBans.remove(v.user, String(req.params["id"]));
    back(res, v, "media_ban_lifted");
  });

  // The service checks that the user moderates the post's board.
  post("/admin/media-bans/post", { needs: "staff" }, async (_req, res, v, body) => {
    await s.mediaBans.banPostFile(
      v.user,
      `${field(body, "board") ?? ""}/${field(body, "no") ?? ""}`,
      field(body, "reason"),
      fileTim(field(body, "tim")),
    );
    back(res, v, "file_banned");
  });

  mediaBanListPages(s, kit);
  mediaBanOfferPages(s, kit);
  mediaBanAuditPages(s, kit);
}
