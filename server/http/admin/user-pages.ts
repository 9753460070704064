import { DomainError } from "../../domain/errors.js";
import type { Role } from "../../domain/staff.js";
import type { Services } from "../../services/container.js";
import { type AdminPageKit, field, fields } from "./page-kit.js";
import { usersView } from "./views.js";

/* Staff accounts, for the admins: the list, creating an account with its role and boards, deleting one. */

export function userPages(s: Pick<Services, "staff" | "boards">, kit: AdminPageKit): void {
  const { page, post, render, back } = kit;

  page("/admin/users", { needs: "manage_instance" }, async (req, res, v) => {
    render(req, res, v, "Staff", usersView(v, await s.staff.listUsers(), await s.boards.list()));
  });

  post("/admin/users", { needs: "manage_instance" }, async (_req, res, v, body) => {
    const boards = fields(body, "boards").flatMap((b) => b.split(/[\s,]+/));
    await s.staff.createUser(
      (field(body, "username") ?? "").trim(),
      field(body, "password") ?? "",
      (field(body, "role") ?? "") as Role,
      boards,
    );
    back(res, v, "user_created", "/admin/users");
  });

  post("/admin/users/:username/delete", { needs: "manage_instance" }, async (req, res, v) => {
    const username = String(req.params["username"]);
    if (username === v.user.username) throw new DomainError("invalid", "You cannot delete your own account.");
    await s.staff.deleteUser(username);
    back(res, v, "user_deleted", "/admin/users");
  });
}
