import type { Request } from "express";
import type { Board } from "../../domain/board.js";
import { DomainError } from "../../domain/errors.js";
import { staffPublicName } from "../../domain/moderation-log.js";
import { capcodesFor } from "./pages/staff-controls.js";
import type { StaffView } from "./staff-view.js";

/**
 * The capcode a post form asks for, if any. Only a signed-in moderator of the board may post with
 * one, and only a capcode their role carries; anyone else naming one (a forged field, a stale page
 * after signing out) is refused rather than posted without it, so nobody believes they posted as
 * staff when they did not. The post then shows the account's public name, never its login name.
 */
export async function staffCapcode(
  view: StaffView,
  req: Request,
  board: Board,
): Promise<{ code: string; name: string } | undefined> {
  const raw: unknown = (req.body as Record<string, unknown> | undefined)?.["capcode"];
  if (raw === undefined || raw === null || raw === "") return undefined;
  if (typeof raw !== "string") throw new DomainError("invalid", 'The field "capcode" must be text.');
  const viewer = await view.moderatorOf(req, board.uri);
  if (!viewer) throw new DomainError("forbidden", `Only signed-in staff of /${board.uri}/ post with a capcode.`);
  if (!capcodesFor(viewer.user.role).some(([code]) => code === raw)) {
    throw new DomainError("forbidden", "Your role does not carry this capcode.");
  }
  return { code: raw, name: staffPublicName(viewer.user) };
}
