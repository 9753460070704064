import type { Services } from "../../services/container.js";
import { mustEnrol, type TwoFactorService } from "../../services/two-factor.js";
import { html } from "../web/html.js";
import { type AdminPageKit, field } from "./page-kit.js";
import { publicNameForm } from "./public-names.js";
import { twoFactorSection } from "./two-factor-views.js";

/*
 * The signed-in account's own page: its public name and its two-factor sign-in (set up, confirm with
 * a code, turn off with a code). The page and the enrolment forms stay open to an admin whom
 * REQUIRE_ADMIN_2FA holds back, since they are the way out of it.
 */

export function accountPages(s: Pick<Services, "config">, kit: AdminPageKit, twoFactor: TwoFactorService): void {
  const { page, post, render, back } = kit;
  const ENROLMENT = { needs: "staff", beforeEnrolment: true } as const;

  page("/admin/account", ENROLMENT, async (req, res, v) => {
    const required = mustEnrol(v.user, s.config.requireAdmin2fa);
    const body = html`${publicNameForm(v, "/admin/account", v.user)}
${twoFactorSection(v, v.user, twoFactor.pending(v.user), required)}`;
    render(req, res, v, "Your account", body);
  });

  post("/admin/account/2fa/start", ENROLMENT, async (_req, res, v) => {
    await twoFactor.start(v.user);
    res.redirect(303, "/admin/account#two-factor");
  });

  post("/admin/account/2fa/cancel", ENROLMENT, async (_req, res, v) => {
    await twoFactor.cancel(v.user);
    back(res, v, "two_factor_cancelled", "/admin/account");
  });

  post("/admin/account/2fa/confirm", ENROLMENT, async (req, res, v, body) => {
    const codes = await twoFactor.confirm(v.user, field(body, "code") ?? "");
    // The recovery codes are in this response only, never behind a redirect: only their hashes are kept.
    const page = html`${publicNameForm(v, "/admin/account", v.user)}
${twoFactorSection(v, v.user, null, false, codes)}`;
    render(req, res, { ...v, path: "/admin/account" }, "Your account", page);
  });

  post("/admin/account/2fa/disable", async (_req, res, v, body) => {
    await twoFactor.disable(v.user, field(body, "code") ?? "");
    back(res, v, "two_factor_off", "/admin/account");
  });
}
