import type { Problem } from "../problem-document.js";
import { escapeHtml, html } from "./html.js";
import { type LayoutDeps, layout } from "./layout.js";

interface BanInfo {
  reason: string;
  expires: string | null;
  board: string | null;
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
  return { reason, expires, board: typeof b["board"] === "string" ? b["board"] : null };
}

/**
 * A readable page for a failed request: status, title, detail, the ban when there is one, and a way
 * back. It never throws: should rendering fail, a bare page with the escaped status is returned.
 */
export function renderErrorPage(s: LayoutDeps, problem: Problem): string {
  try {
    const status = Number.isInteger(problem.status) ? problem.status : 500;
    const title = typeof problem.title === "string" && problem.title ? problem.title : "Error";
    const detail = typeof problem.detail === "string" ? problem.detail : "";
    const ban = status === 403 ? banOf(problem) : null;
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
</div>`
    : detail
      ? html`<p class="detail">${detail}</p>`
      : ""
}
<p class="back-links"><a href="/" data-back>Go back</a> · <a href="/">Home</a></p>
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
