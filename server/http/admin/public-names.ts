import { Router } from "express";
import { MAX_PUBLIC_NAME, publicStaffLabel, staffPublicName } from "../../domain/moderation-log.js";
import type { Services } from "../../services/container.js";
import { API_ACTOR, type PublicStaffUser } from "../../services/staff.js";
import { type Html, html } from "../web/html.js";
import { adminBody, requireSomeField, updateRoute } from "./body.js";
import { jsonObject } from "./json.js";
import { type AdminPageKit, field } from "./page-kit.js";
import { csrfField, type ViewContext } from "./views.js";

/*
 * The public name of a staff account: what its Person and the public moderation log call it
 * instead of its role's label. The account chooses its own (/admin/account); admins choose anyone's
 * (the staff page, and the admin API). Never the login name unless someone typed it.
 */

const FIELDS = ["public_name"] as const;

/** A staff account as the admin API shows it. */
export function staffJson(u: PublicStaffUser) {
  return {
    username: u.username,
    role: u.role,
    boards: [...u.boards],
    public_name: u.publicName ?? null,
    shown_as: staffPublicName(u),
    created_at: new Date(u.createdAt).toISOString(),
  };
}

/** `GET /api/v1/admin/staff` and `PATCH /api/v1/admin/staff/:username` `{"public_name"}` (null clears). */
export function staffApiRouter(s: Pick<Services, "staff">): Router {
  const r = Router();
  r.get("/api/v1/admin/staff", async (_req, res) => {
    res.json((await s.staff.listUsers()).map(staffJson));
  });
  updateRoute(r, "/api/v1/admin/staff/:username", ...adminBody(), async (req, res) => {
    const fields = jsonObject(req.body, FIELDS);
    requireSomeField(fields, FIELDS);
    res.json(staffJson(await s.staff.setPublicName(API_ACTOR, String(req.params["username"]), fields["public_name"])));
  });
  return r;
}

export function publicNameForm(
  v: ViewContext,
  action: string,
  user: Pick<PublicStaffUser, "role" | "publicName">,
): Html {
  return html`<form method="post" action="${action}" class="admin-form">
  ${csrfField(v.csrf)}
  <p>Shown to the public as <strong>${staffPublicName(user)}</strong> on staff actions (the moderation log, and the
  fediverse account that carries them). Leave the field empty to be shown by role (${publicStaffLabel(user.role)}).</p>
  <p><label>Public name <input name="public_name" maxlength="${String(MAX_PUBLIC_NAME)}" value="${user.publicName ?? ""}"></label></p>
  <p><button type="submit">Save</button></p>
</form>`;
}

export function publicNamePages(s: Pick<Services, "staff">, kit: AdminPageKit): void {
  const { page, post, render, back } = kit;
  const ADMINS = { needs: "manage_instance" } as const;

  // The account page itself is ./account-pages.ts.
  post("/admin/account", async (_req, res, v, body) => {
    await s.staff.setPublicName(v.user, v.user.username, field(body, "public_name") ?? "");
    back(res, v, "public_name_saved", "/admin/account");
  });

  page("/admin/users/:username/public-name", ADMINS, async (req, res, v) => {
    const username = String(req.params["username"]);
    const user = (await s.staff.listUsers()).find((u) => u.username === username);
    if (!user) {
      render(req, res, v, "Not found", html`<p class="admin-error">There is no user "${username}".</p>`, 404);
      return;
    }
    const action = `/admin/users/${encodeURIComponent(username)}/public-name`;
    render(req, res, v, `Public name of ${username}`, publicNameForm(v, action, user));
  });

  post("/admin/users/:username/public-name", ADMINS, async (req, res, v, body) => {
    await s.staff.setPublicName(v.user, String(req.params["username"]), field(body, "public_name") ?? "");
    back(res, v, "public_name_saved", "/admin/users");
  });
}
