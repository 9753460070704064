import { hasTwoFactor, type StaffUser } from "../../domain/staff.js";
import type { Enrolment } from "../../services/two-factor.js";
import { type Html, html } from "../web/html.js";
import { csrfField, type ViewContext } from "./views.js";

/* The two-factor parts of the staff pages: the account page's section and the sign-in's second step. */

/** The second step of a sign-in: the code from the app, or a recovery code. */
export function codePage(csrf: string, message: string | null): Html {
  return html`<section class="admin-login">
  <h1>Staff sign-in</h1>
  ${message ? html`<p class="admin-error" role="alert">${message}</p>` : null}
  <form method="post" action="/admin/login/code">
    <input type="hidden" name="csrf" value="${csrf}">
    <p><label>Code from your authenticator app <input name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength="40" autofocus></label></p>
    <p>Lost the app? Type one of your recovery codes instead; each works once.</p>
    <p><button type="submit">Sign in</button></p>
  </form>
  <p><a href="/admin">Start again</a></p>
</section>`;
}

const codeField = html`<label>Code <input name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength="40"></label>`;

/** The base32 secret in groups of four, easier to type. */
function grouped(base32: string): string {
  return base32.match(/.{1,4}/g)?.join(" ") ?? base32;
}

/**
 * The account page's two-factor section: off (with a button to set it up), an enrolment waiting for
 * its first code (the secret shown), or on (a form to turn it off with a code). `required` says
 * REQUIRE_ADMIN_2FA holds this account back until it enrols.
 */
export function twoFactorSection(
  v: ViewContext,
  user: StaffUser,
  pending: Enrolment | null,
  required: boolean,
  recoveryCodes: string[] | null = null,
): Html {
  const heading = html`<h2 id="two-factor">Two-factor sign-in</h2>`;
  if (recoveryCodes) {
    return html`${heading}
<div class="admin-notice" role="status">
  <p>Two-factor sign-in is on. These are your recovery codes: each signs you in once if you lose your
  app. Write them down or store them now; they are not shown again.</p>
  <ol class="recovery-codes">${recoveryCodes.map((c) => html`<li><code>${c}</code></li>`)}</ol>
  <p><a href="/admin/account">Done</a></p>
</div>`;
  }
  const demand = required
    ? html`<p class="admin-error" role="alert">This instance requires admins to sign in with a second factor. Set it
  up to use the staff pages.</p>`
    : null;
  if (hasTwoFactor(user)) {
    const left = user.totp?.recoveryHashes.length ?? 0;
    return html`${heading}
<p>Two-factor sign-in is <strong>on</strong>: after your password you give a code from your authenticator app.
${String(left)} recovery code${left === 1 ? "" : "s"} left.</p>
<form method="post" action="/admin/account/2fa/disable" class="admin-form">
  ${csrfField(v.csrf)}
  <p>To turn it off, give a current code (or a recovery code).</p>
  <p>${codeField}</p>
  <p><button type="submit">Turn two-factor sign-in off</button></p>
</form>`;
  }
  if (pending) {
    return html`${heading}${demand}
<p>Add this account to your authenticator app: open the link on the device that has the app, or type the
secret into it (time-based, 6 digits, every 30 seconds).</p>
<p><a class="otpauth-uri" href="${pending.uri}">${pending.uri}</a></p>
<p>Secret: <code class="totp-secret">${grouped(pending.base32)}</code></p>
<form method="post" action="/admin/account/2fa/confirm" class="admin-form">
  ${csrfField(v.csrf)}
  <p>Then give the code the app shows, to turn two-factor sign-in on.</p>
  <p>${codeField}</p>
  <p><button type="submit">Confirm</button></p>
</form>
<form method="post" action="/admin/account/2fa/cancel" class="admin-form">
  ${csrfField(v.csrf)}
  <p><button type="submit">Cancel</button></p>
</form>`;
  }
  return html`${heading}${demand}
<p>Two-factor sign-in is <strong>off</strong>: your password alone signs you in.</p>
<form method="post" action="/admin/account/2fa/start" class="admin-form">
  ${csrfField(v.csrf)}
  <p><button type="submit">Set up two-factor sign-in</button></p>
</form>`;
}
