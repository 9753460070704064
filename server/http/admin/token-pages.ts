import type { Services } from "../../services/container.js";
import { type AdminPageKit, field } from "./page-kit.js";
import { tokensView } from "./views.js";

/* Admin API tokens, for the admins: the list, minting one (shown once), deleting one. */

export function tokenPages(s: Pick<Services, "staff">, kit: AdminPageKit): void {
  const { page, post, render, back } = kit;

  page("/admin/tokens", { needs: "manage_instance" }, async (req, res, v) => {
    render(req, res, v, "API tokens", tokensView(v, await s.staff.listTokens(), null));
  });

  post("/admin/tokens", { needs: "manage_instance" }, async (req, res, v, body) => {
    const { token } = await s.staff.createToken(field(body, "label") ?? "");
    // Shown in this response only, never behind a redirect: the token is not stored anywhere readable.
    render(req, res, { ...v, path: "/admin/tokens" }, "API tokens", tokensView(v, await s.staff.listTokens(), token));
  });

  post("/admin/tokens/:id/delete", { needs: "manage_instance" }, async (req, res, v) => {
    await s.staff.deleteToken(String(req.params["id"]));
    back(res, v, "token_deleted", "/admin/tokens");
  });
}
