import type { MediaBanList } from "../../domain/media-safety/media-ban-lists.js";
import { can } from "../../domain/staff.js";
import type { Services } from "../../services/container.js";
import type { Actor } from "../../services/staff.js";
import { type Html, html } from "../web/html.js";
import { listsOf } from "./media-ban-lists-api.js";
import { type AdminPageKit, field } from "./page-kit.js";
import { actionForm, csrfField, time, type ViewContext } from "./views.js";

/*
 * The hash lists section of the Media bans page: subscriptions with their last sync, a form to
 * subscribe, syncing, excluding a hash and unsubscribing; for admins, links to who may fetch the
 * instance's own list and to the audit trail (./media-ban-offer-pages.ts, ./media-ban-audit-pages.ts).
 */

function listRow(v: ViewContext, l: MediaBanList): Html {
  const base = `/admin/media-bans/lists/${encodeURIComponent(l.id)}`;
  const change = l.lastChange ? `+${l.lastChange.added} −${l.lastChange.removed}` : "";
  const excludes = l.excludes.map(
    (h) => html`<li><code>${h}</code> ${actionForm(v, `${base}/include?hash=${h}`, "Ban again")}</li>`,
  );
  return html`<tr>
  <td><code>${l.url}</code></td>
  <td>${l.format}</td>
  <td>${l.lastSyncAt === null ? "never" : time(l.lastSyncAt)}</td>
  <td>${l.lastStatus ?? ""} ${change}</td>
  <td>${l.excludes.length === 0 ? "" : html`<ul>${excludes}</ul>`}
    <form method="post" action="${base}/exclude">${csrfField(v.csrf)}<input type="hidden" name="back" value="${v.path}">
      <input name="hash" required pattern="[0-9a-fA-F]{64}" size="20" aria-label="Hash to exclude"> <button type="submit">Exclude</button></form></td>
  <td>${actionForm(v, `${base}/sync`, "Sync now")} ${actionForm(v, `${base}/delete`, "Unsubscribe")}</td>
</tr>`;
}

export async function mediaBanListsSection(s: Pick<Services, "mediaBanLists">, v: ViewContext, user: Actor) {
  const lists = s.mediaBanLists ? await s.mediaBanLists.list(user) : [];
  return html`<section>
  <h2>Subscribed hash lists</h2>
  ${
    can(v.user, "manage_instance", null)
      ? html`<p><a href="/admin/media-bans/offers">Who may fetch our list</a> · <a href="/admin/media-bans/audit">Audit trail of bans and lists</a></p>`
      : null
  }
  ${
    lists.length === 0
      ? html`<p>No subscriptions.</p>`
      : html`<table class="admin-table">
    <thead><tr><th>URL</th><th>Format</th><th>Last sync</th><th>Status</th><th>Excluded hashes</th><th></th></tr></thead>
    <tbody>${lists.map((l) => listRow(v, l))}</tbody>
  </table>`
  }
  <form method="post" action="/admin/media-bans/lists" class="admin-form">
    ${csrfField(v.csrf)}<input type="hidden" name="back" value="${v.path}">
    <p><label>List URL <input name="url" type="url" required size="60"></label></p>
    <p><label>Format <select name="format"><option value="sha256">SHA-256 lines</option><option value="pdq">PDQ lines</option><option value="atoll">Atoll JSON</option></select></label></p>
    <p><label>Token (if the list's owner gave one) <input name="token" autocomplete="off"></label></p>
    <p><button type="submit">Subscribe</button></p>
  </form>
</section>`;
}

export function mediaBanListPages(s: Pick<Services, "mediaBanLists">, kit: AdminPageKit): void {
  const { post, back } = kit;
  const id = (v: unknown) => String(v);

  post("/admin/media-bans/lists", { needs: "staff" }, async (_req, res, v, body) => {
    await listsOf(s).subscribe(v.user, {
      url: field(body, "url"),
      format: field(body, "format"),
      token: field(body, "token"),
    });
    back(res, v, "list_subscribed");
  });

  post("/admin/media-bans/lists/:id/sync", { needs: "staff" }, async (req, res, v) => {
    await listsOf(s).sync(v.user, id(req.params["id"]));
    back(res, v, "list_synced");
  });

  post("/admin/media-bans/lists/:id/exclude", { needs: "staff" }, async (req, res, v, body) => {
    await listsOf(s).exclude(v.user, id(req.params["id"]), field(body, "hash"));
    back(res, v, "list_excluded");
  });

  post("/admin/media-bans/lists/:id/include", { needs: "staff" }, async (req, res, v) => {
    await listsOf(s).include(v.user, id(req.params["id"]), req.query["hash"]);
    back(res, v, "list_included");
  });

  post("/admin/media-bans/lists/:id/delete", { needs: "staff" }, async (req, res, v) => {
    await listsOf(s).remove(v.user, id(req.params["id"]));
    back(res, v, "list_deleted");
  });
}
