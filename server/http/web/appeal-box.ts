import { type Html, html } from "./html.js";

/** What a ban page shows of the ban's appeal. */
export interface AppealInfo {
  status: "open" | "accepted" | "rejected";
  reason: string | null;
}

/** The appeal a ban problem carries (`ban.appeal`), read defensively: it is only data. */
export function appealOf(raw: unknown): AppealInfo | null {
  if (typeof raw !== "object" || raw === null) return null;
  const a = raw as Record<string, unknown>;
  const status = a["status"];
  if (status !== "open" && status !== "accepted" && status !== "rejected") return null;
  return { status, reason: typeof a["reason"] === "string" ? a["reason"] : null };
}

/**
 * The appeal part of a ban page: the form while the ban has no appeal (a plain POST, so it works
 * without JavaScript), else where the appeal stands and the staff's answer.
 */
export function appealBox(banId: string, appeal: AppealInfo | null): Html {
  if (appeal === null) {
    return html`<form class="appeal-form" method="post" action="/api/v1/appeals">
<input type="hidden" name="ban_id" value="${banId}">
<p><label for="appeal-text">Appeal this ban (once): say why it should be lifted.</label></p>
<textarea id="appeal-text" name="text" rows="4" cols="48" maxlength="2000" required></textarea>
<p><button type="submit">Send appeal</button></p>
</form>`;
  }
  const state =
    appeal.status === "open"
      ? "Your appeal is waiting for the staff's answer."
      : appeal.status === "accepted"
        ? "Your appeal was accepted: the ban is lifted."
        : "Your appeal was rejected: the ban stays.";
  return html`<div class="appeal-status">
<p>${state}</p>
${appeal.reason ? html`<p>Staff's answer: <q>${appeal.reason}</q></p>` : ""}
</div>`;
}
