import type { Problem } from "../problem-document.js";
import { type AppealInfo, appealBox, appealOf } from "./appeal-box.js";
import { escapeHtml, html } from "./html.js";
import { type LayoutDeps, layout } from "./layout.js";

interface BanInfo {
  id: string | null;
  reason: string;
  expires: string | null;
  board: string | null;
  appeal: AppealInfo | null;
}

/** The ban a forbidden problem carries (`problem.ban`), read defensively: it is only data. */
function banOf(problem: Problem): BanInfo | null {
  const ban = problem["ban"];
  if (typeof ban !== "object" || ban === null) return null;
  const b = ban as Record<string, unknown>;
  const reason = typeof b["reason"] === "string" ? b["reason"] : "";
  const raw = b["expires_at"] ?? b["expiresAt"] ?? null;
  let expires: string | null = null;
  if (typeof raw === "string" || typeof raw === "number") {
    const d = new Date(raw);
    expires = Number.isFinite(d.getTime()) ? d.toUTCString() : String(raw);
  }
  return {
    id: typeof b["id"] === "string" ? b["id"] : null,
    reason,
    expires,
    board: typeof b["board"] === "string" ? b["board"] : null,
    appeal: appealOf(b["appeal"]),
  };
}

/**
 * Where "Go back" leads without JavaScript (with it, the browser's history, so a form keeps what was
 * typed): the thread or board the failed request was about, judged from its path alone and only to
 * a board that exists, so the link always stays on this site and never leads to the page that just
 * failed to exist; the admin pages for an admin request; the home page otherwise.
 */
export function backLink(s: LayoutDeps, path: string | undefined, status: number): { href: string; label: string } {
  const home = { href: "/", label: "Go back" };
  if (typeof path !== "string") return home;
  if (path === "/admin" || path.startsWith("/admin/")) return { href: "/admin", label: "Back to the admin pages" };
  const m = /^\/([a-z0-9]{1,30})\/(?:thread\/([1-9][0-9]{0,14})(?:[/#?]|$))?/.exec(path);
  const uri = m?.[1];
  if (!uri || !s.reader.knownBoards().some((b) => b.uri === uri)) return home;
  const thread = m?.[2];
  if (thread && status !== 404 && status !== 410)
    return { href: `/${uri}/thread/${thread}`, label: "Back to the thread" };
  return { href: `/${uri}/`, label: `Back to /${uri}/` };
}

/**
 * A readable page for a failed request: status, title, detail, the ban when there is one, and a way
 * back (to what `path`, the failed request's, was about). It never throws: should rendering fail, a
 * bare page with the escaped status is returned.
 */
export function renderErrorPage(s: LayoutDeps, problem: Problem, path?: string): string {
  try {
    const status = Number.isInteger(problem.status) ? problem.status : 500;
    const title = typeof problem.title === "string" && problem.title ? problem.title : "Error";
    const detail = typeof problem.detail === "string" ? problem.detail : "";
    const ban = status === 403 ? banOf(problem) : null;
    const back = backLink(s, path, status);
    const body = html`<section class="message-page error-page" role="alert">
<p class="status-code">${status}</p>
<h1>${ban ? "You are banned" : title}</h1>
${
  ban
    ? html`<div class="ban-box">
<p>You have been banned from ${ban.board ? html`<strong>/${ban.board}/</strong>` : "every board on this instance"}.</p>
<dl>
<dt>Reason</dt><dd>${ban.reason || "No reason was given."}</dd>
<dt>Expires</dt><dd>${ban.expires ?? "Never: this ban is permanent."}</dd>
</dl>
<p>You can still read the boards.</p>
${ban.id ? appealBox(ban.id, ban.appeal) : ""}
</div>`
    : detail
      ? html`<p class="detail">${detail}</p>`
      : ""
}
<p class="back-links"><a href="${back.href}" data-back>${back.label}</a>${back.href === "/" ? "" : html` · <a href="/">Home</a>`}</p>
</section>`;
    return layout(s, { title: `${status} ${ban ? "Banned" : title}`, body, bodyClass: "error" });
  } catch {
    return bareErrorPage(problem);
  }
}

/** The last resort: no layout, no services, and nothing read from the problem that could throw. */
function bareErrorPage(problem: Problem): string {
  let status = "500";
  try {
    if (Number.isInteger(problem.status)) status = String(problem.status);
  } catch {
    // Keep 500.
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error ${escapeHtml(status)}</title></head><body><h1>Error ${escapeHtml(status)}</h1><p><a href="/">Home</a></p></body></html>`;
}
