import { randomBytes } from "node:crypto";
import type { Request, Response } from "express";
import { hasTwoFactor } from "../../domain/staff.js";
import type { Services } from "../../services/container.js";
import { KNOWN_DEVICE_TTL_MS, KnownDevices } from "../../services/known-devices.js";
import { LoginThrottle } from "../../services/login-throttle.js";
import type { TwoFactorService } from "../../services/two-factor.js";
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
import { PENDING_LOGIN_COOKIE, PENDING_LOGIN_TTL_MS, PendingLogins } from "./pending-login.js";
import { codePage } from "./two-factor-views.js";
import { loginPage } from "./views.js";

/*
 * Sign-in and sign-out. The sign-in form is the one admin form shown before a session exists, so its
 * token is bound to a pre-session cookie instead. Attempts are throttled per account and address, per
 * address and per account (LoginThrottle); a browser that signed in to the account before carries a
 * known-device cookie that spares it the budgets others could exhaust. An account with two-factor
 * sign-in gives its code in a second step, bound to a short-lived signed cookie (./pending-login.ts);
 * only then does a session start.
 */

export function loginPages(
  s: Pick<Services, "staff" | "store" | "clock" | "secrets" | "config">,
  kit: AdminWebKit,
  twoFactor: TwoFactorService,
): void {
  const { router, csrf, form, send, post } = kit;
  const limiter = new LoginThrottle(s.store.limits.counters, s.clock, s.secrets.key("ip"));
  const devices = new KnownDevices(s.secrets.key("login-device"));
  const pending = new PendingLogins(s.secrets, s.clock);
  const { maxAge: _unused, ...expired } = cookieOptions(s, 0);

  /** The login form, with the pre-session cookie its token is bound to. */
  const renderLogin = (req: Request, res: Response, message: string | null, status: number, username = "") => {
    let nonce = cookie(req, LOGIN_COOKIE);
    if (!nonce || !/^[A-Za-z0-9_-]{22}$/.test(nonce)) {
      nonce = randomBytes(16).toString("base64url");
      res.cookie(LOGIN_COOKIE, nonce, cookieOptions(s, 12 * 60 * 60 * 1000));
    }
    send(res, "Staff sign-in", loginPage(csrf.token(nonce, "login"), message, username), status);
  };

  /** The known-device token the request carries for `username`, if it is one. */
  const knownDevice = (req: Request, username: string): string | undefined => {
    const token = cookie(req, KNOWN_DEVICE_COOKIE);
    return token !== undefined && devices.recognises(token, username, s.clock()) ? token : undefined;
  };

  /** Every factor given: the throttle forgets this pair, the browser is known, a session starts. */
  const signIn = async (req: Request, res: Response, username: string, known: string | undefined) => {
    await limiter.reset(username, clientIp(req), known);
    res.cookie(KNOWN_DEVICE_COOKIE, devices.issue(username, s.clock()), cookieOptions(s, KNOWN_DEVICE_TTL_MS));
    const old = cookie(req, SESSION_COOKIE);
    if (old) await s.staff.logout(old);
    setSessionCookie(s, res, await s.staff.createSession(username));
    res.clearCookie(LOGIN_COOKIE, expired);
    res.clearCookie(PENDING_LOGIN_COOKIE, expired);
    res.redirect(303, ADMIN_PATH);
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
    const known = knownDevice(req, username);
    const wait = await limiter.take(username, clientIp(req), known);
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
    if (!hasTwoFactor(user)) return signIn(req, res, user.username, known);
    // The password alone earns no session, no known-device token and no reset of the throttle.
    res.cookie(PENDING_LOGIN_COOKIE, pending.issue(user.username), cookieOptions(s, PENDING_LOGIN_TTL_MS));
    res.redirect(303, CODE_PATH);
  });

  const renderCode = (req: Request, res: Response, message: string | null, status: number) => {
    const token = cookie(req, PENDING_LOGIN_COOKIE);
    if (pending.read(token) === null || token === undefined) {
      renderLogin(req, res, message === null ? null : "The sign-in expired. Please start again.", 403);
      return;
    }
    send(res, "Staff sign-in", codePage(csrf.token(token, "login"), message), status);
  };

  router.get(CODE_PATH, (req, res) => {
    if (pending.read(cookie(req, PENDING_LOGIN_COOKIE)) === null) return res.redirect(303, ADMIN_PATH);
    renderCode(req, res, null, 200);
  });

  router.post(CODE_PATH, form, async (req, res) => {
    const body = (req.body ?? {}) as FormBody;
    const token = cookie(req, PENDING_LOGIN_COOKIE);
    const username = pending.read(token);
    if (username === null || !csrf.check(token, field(body, "csrf"), "login")) {
      renderLogin(req, res, "The sign-in expired. Please start again.", 403);
      return;
    }
    // Codes are guessed against the same budgets as passwords.
    const known = knownDevice(req, username);
    const wait = await limiter.take(username, clientIp(req), known);
    if (wait > 0) {
      res.setHeader("Retry-After", String(wait));
      renderCode(req, res, `Too many sign-in attempts. Try again in ${Math.ceil(wait / 60)} min.`, 429);
      return;
    }
    const user = await s.staff.getUser(username);
    if (!user || !(await twoFactor.verify(user, field(body, "code") ?? ""))) {
      renderCode(req, res, "Wrong code.", 403);
      return;
    }
    await signIn(req, res, user.username, known);
  });

  post("/admin/logout", { needs: "staff", beforeEnrolment: true }, async (_req, res) => {
    await s.staff.logout(res.locals["session"] as string);
    clearSessionCookie(s, res);
    res.redirect(303, ADMIN_PATH);
  });
}

const CODE_PATH = "/admin/login/code";
