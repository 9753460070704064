import { randomBytes } from "node:crypto";
import type { Request, Response } from "express";
import type { Services } from "../../services/container.js";
import { KNOWN_DEVICE_TTL_MS, KnownDevices } from "../../services/known-devices.js";
import { LoginThrottle } from "../../services/login-throttle.js";
import { clientIp } from "../post-input.js";
import {
  ADMIN_PATH,
  clearSessionCookie,
  cookie,
  cookieOptions,
  KNOWN_DEVICE_COOKIE,
  LOGIN_COOKIE,
  SESSION_COOKIE,
  setSessionCookie,
  staffUser,
} from "./auth.js";
import { type AdminWebKit, type FormBody, field } from "./page-kit.js";
import { loginPage } from "./views.js";

/*
 * Sign-in and sign-out. The sign-in form is the one admin form shown before a session exists, so its
 * token is bound to a pre-session cookie instead. Attempts are throttled per account and address, per
 * address and per account (LoginThrottle); a browser that signed in to the account before carries a
 * known-device cookie that spares it the budgets others could exhaust.
 */

export function loginPages(
  s: Pick<Services, "staff" | "store" | "clock" | "secrets" | "config">,
  kit: AdminWebKit,
): void {
  const { router, csrf, form, send, post } = kit;
  const limiter = new LoginThrottle(s.store.limits.counters, s.clock, s.secrets.key("ip"));
  const devices = new KnownDevices(s.secrets.key("login-device"));

  /** The login form, with the pre-session cookie its token is bound to. */
  const renderLogin = (req: Request, res: Response, message: string | null, status: number, username = "") => {
    let nonce = cookie(req, LOGIN_COOKIE);
    if (!nonce || !/^[A-Za-z0-9_-]{22}$/.test(nonce)) {
      nonce = randomBytes(16).toString("base64url");
      res.cookie(LOGIN_COOKIE, nonce, cookieOptions(s, 12 * 60 * 60 * 1000));
    }
    send(res, "Staff sign-in", loginPage(csrf.token(nonce, "login"), message, username), status);
  };

  // Signed in, /admin is the reports queue (./report-pages.ts); otherwise it is this form.
  router.get(ADMIN_PATH, async (req, res, next) => {
    if (staffUser(res)) return next();
    renderLogin(req, res, null, 200);
  });

  router.get("/admin/login", (_req, res) => res.redirect(303, ADMIN_PATH));

  router.post("/admin/login", form, async (req, res) => {
    const body = (req.body ?? {}) as FormBody;
    const username = (field(body, "username") ?? "").trim().toLowerCase().slice(0, 64);
    const password = field(body, "password") ?? "";
    if (!csrf.check(cookie(req, LOGIN_COOKIE), field(body, "csrf"), "login")) {
      renderLogin(req, res, "The sign-in form expired. Please try again.", 403, username);
      return;
    }
    const ip = clientIp(req);
    const token = cookie(req, KNOWN_DEVICE_COOKIE);
    const known = token !== undefined && devices.recognises(token, username, s.clock()) ? token : undefined;
    const wait = await limiter.take(username, ip, known);
    if (wait > 0) {
      res.setHeader("Retry-After", String(wait));
      renderLogin(req, res, `Too many sign-in attempts. Try again in ${Math.ceil(wait / 60)} min.`, 429, username);
      return;
    }
    const user = await s.staff.login(username, password);
    if (!user) {
      renderLogin(req, res, "Wrong username or password.", 403, username);
      return;
    }
    await limiter.reset(username, ip, known);
    res.cookie(KNOWN_DEVICE_COOKIE, devices.issue(user.username, s.clock()), cookieOptions(s, KNOWN_DEVICE_TTL_MS));
    const old = cookie(req, SESSION_COOKIE);
    if (old) await s.staff.logout(old);
    setSessionCookie(s, res, await s.staff.createSession(user.username));
    const { maxAge: _unused, ...opts } = cookieOptions(s, 0);
    res.clearCookie(LOGIN_COOKIE, opts);
    res.redirect(303, ADMIN_PATH);
  });

  post("/admin/logout", { needs: "staff" }, async (_req, res) => {
    await s.staff.logout(res.locals["session"] as string);
    clearSessionCookie(s, res);
    res.redirect(303, ADMIN_PATH);
  });
}
