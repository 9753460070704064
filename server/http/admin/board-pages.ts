import { type BoardSettings, MEDIA_TYPES } from "../../domain/board.js";
import { DomainError } from "../../domain/errors.js";
import { can } from "../../domain/staff.js";
import type { Services } from "../../services/container.js";
import { html } from "../web/html.js";
import { boardSettingsView, boardsView, SETTINGS_FORM, volunteersView } from "./board-views.js";
import { type AdminPageKit, checked, type FormBody, field, fields } from "./page-kit.js";

/*
 * Boards and their volunteers: the list (admins see every board, owners their own), creating and
 * deleting boards (admins), a board's settings (its owners and the admins) and its volunteers.
 */

/** A board settings form as the settings patch BoardService validates. */
function settingsFromForm(body: FormBody): Partial<BoardSettings> {
  const out: Record<string, unknown> = {};
  for (const key of SETTINGS_FORM.numbers) {
    const raw = (field(body, key) ?? "").trim();
    if (!/^[0-9]{1,12}$/.test(raw)) throw new DomainError("invalid", `${key}: a whole number.`);
    out[key] = Number(raw);
  }
  for (const key of SETTINGS_FORM.booleans) out[key] = checked(body, key);
  out["defaultName"] = field(body, "defaultName") ?? "";
  // Absent from an older form: the board keeps what it has.
  const captchaMode = field(body, "captchaMode");
  if (captchaMode !== undefined) out["captchaMode"] = captchaMode;
  const announcement = field(body, "announcement");
  if (announcement !== undefined) out["announcement"] = announcement;
  out["allowedTypes"] = fields(body, "allowedTypes").filter((t) => (MEDIA_TYPES as readonly string[]).includes(t));
  return out as Partial<BoardSettings>;
}

export function boardPages(s: Pick<Services, "boards" | "staff">, kit: AdminPageKit): void {
  const { page, post, render, back } = kit;

  page("/admin/boards", { needs: "manage_a_board" }, async (req, res, v) => {
    const boards = (await s.boards.list()).filter((b) => can(v.user, "manage_board", b.uri));
    render(req, res, v, "Boards", boardsView(v, boards));
  });

  post("/admin/boards", { needs: "manage_instance" }, async (_req, res, v, body) => {
    await s.boards.create({
      uri: (field(body, "uri") ?? "").trim(),
      title: field(body, "title") ?? "",
      description: field(body, "description") ?? "",
      settings: { sfw: checked(body, "sfw") },
    });
    back(res, v, "board_created", "/admin/boards");
  });

  page("/admin/boards/:uri", { needs: "manage_board" }, async (req, res, v) => {
    const board = await s.boards.get(String(req.params["uri"]));
    const volunteers = await s.staff.volunteersOf(board.uri);
    render(
      req,
      res,
      v,
      `Settings of /${board.uri}/`,
      html`${boardSettingsView(v, board)}${volunteersView(v, board, volunteers)}`,
    );
  });

  // Only the board's owners and the admins may change its volunteers: the service checks who may.
  post("/admin/boards/:uri/volunteers", { needs: "staff" }, async (req, res, v, body) => {
    const uri = String(req.params["uri"]);
    const password = field(body, "password");
    await s.staff.addVolunteer(v.user, uri, (field(body, "username") ?? "").trim(), password || undefined);
    back(res, v, "volunteer_added", `/admin/boards/${uri}`);
  });

  post("/admin/boards/:uri/volunteers/:username/remove", { needs: "staff" }, async (req, res, v) => {
    const uri = String(req.params["uri"]);
    await s.staff.removeVolunteer(v.user, uri, String(req.params["username"]));
    back(res, v, "volunteer_removed", `/admin/boards/${uri}`);
  });

  post("/admin/boards/:uri/settings", { needs: "manage_board" }, async (req, res, v, body) => {
    const uri = String(req.params["uri"]);
    await s.boards.update(uri, {
      title: field(body, "title") ?? "",
      description: field(body, "description") ?? "",
      settings: settingsFromForm(body),
    });
    back(res, v, "board_saved", `/admin/boards/${uri}`);
  });

  post("/admin/boards/:uri/delete", { needs: "manage_instance" }, async (req, res, v, body) => {
    if (field(body, "confirm") !== "yes")
      throw new DomainError("invalid", "Tick the box to confirm deleting the board and all its posts.");
    await s.boards.delete(String(req.params["uri"]));
    back(res, v, "board_deleted", "/admin/boards");
  });
}
