import type { Appeal } from "../../../domain/appeal.js";
import type { Ban } from "../../../domain/staff.js";
import { appealBox } from "../appeal-box.js";
import { html } from "../html.js";
import { type LayoutDeps, layout } from "../layout.js";

/**
 * A banned poster's page about their ban: the ban while it is in force, and the appeal (its form
 * until one is sent, then where it stands and the staff's answer). After an accepted appeal the
 * ban is gone and only the appeal is left to show.
 */
export function appealPage(s: LayoutDeps, banId: string, ban: Ban | null, appeal: Appeal | null): string {
  const board = ban?.board ?? appeal?.board ?? null;
  const reason = ban?.reason ?? appeal?.banReason ?? "";
  const body = html`<section class="message-page ban-page">
<h1>${ban ? "You are banned" : "Your ban"}</h1>
<div class="ban-box">
<p>${ban ? "You have been banned from" : "You were banned from"} ${board ? html`<strong>/${board}/</strong>` : "every board on this instance"}.</p>
<dl>
<dt>Reason</dt><dd>${reason || "No reason was given."}</dd>
${ban ? html`<dt>Expires</dt><dd>${ban.expiresAt === null ? "Never: this ban is permanent." : new Date(ban.expiresAt).toUTCString()}</dd>` : ""}
</dl>
${appealBox(banId, appeal ? { status: appeal.status, reason: appeal.decisionReason } : null)}
</div>
<p class="back-links"><a href="/">Home</a></p>
</section>`;
  return layout(s, { title: ban ? "Banned" : "Your ban", body, bodyClass: "error" });
}
