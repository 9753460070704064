import { createHmac, timingSafeEqual } from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import type { StaffUser } from "../../domain/staff.js";
import type { Services } from "../../services/container.js";
import { SESSION_TTL_MS } from "../../services/staff.js";
import { problemType, sendProblem } from "../problem-document.js";

export const SESSION_COOKIE = "atoll_session";
/** Set before sign-in so the login form, too, carries a token bound to this browser. */
export const LOGIN_COOKIE = "atoll_login";
/** Set at a successful sign-in: this browser knew the account's password (services/known-devices.ts). */
export const KNOWN_DEVICE_COOKIE = "atoll_device";
export const ADMIN_PATH = "/admin";

/**
 * Bearer authentication for the admin API: `Authorization: Bearer <token>` with ADMIN_TOKEN or a
 * minted token. Anything else is a 401 problem naming the scheme.
 */
export function bearerAuth(s: Pick<Services, "staff">): RequestHandler {
  return async (req, res, next) => {
    try {
      const header = req.headers.authorization ?? "";
      const m = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
      const who = m ? await s.staff.bearerIdentity(m[1]) : null;
      if (who !== null) {
        res.locals["bearer"] = who;
        return next();
      }
      res.setHeader("WWW-Authenticate", m ? 'Bearer error="invalid_token"' : 'Bearer realm="atoll"');
      sendProblem(res, {
        type: problemType("unauthorized"),
        title: "Not signed in",
        status: 401,
        detail: m ? "The bearer token is not valid." : "Send an admin token as `Authorization: Bearer <token>`.",
      });
    } catch (err) {
      next(err);
    }
  };
}

/** Which admin token authenticated the request (see bearerAuth): `ADMIN_TOKEN` or a minted token's id. */
export function bearerOf(res: Response): string {
  const who: unknown = res.locals["bearer"];
  return typeof who === "string" ? who : "";
}

export function cookieOptions(s: Pick<Services, "config">, maxAge: number) {
  return {
    httpOnly: true,
    sameSite: "strict" as const,
    secure: s.config.publicUrl.startsWith("https://"),
    path: ADMIN_PATH,
    maxAge,
  };
}

/**
 * The session cookie goes to the whole site, not only /admin: a board's pages read it to show their
 * moderators the staff controls (web/staff-view.ts). It stays HttpOnly and SameSite=Strict, so a
 * link from elsewhere arrives without it.
 */
export function setSessionCookie(s: Pick<Services, "config">, res: Response, token: string): void {
  res.cookie(SESSION_COOKIE, token, { ...cookieOptions(s, SESSION_TTL_MS), path: "/" });
}

export function clearSessionCookie(s: Pick<Services, "config">, res: Response): void {
  const { maxAge: _unused, ...opts } = cookieOptions(s, 0);
  res.clearCookie(SESSION_COOKIE, { ...opts, path: "/" });
  // A cookie set when sessions were scoped to /admin alone.
  res.clearCookie(SESSION_COOKIE, opts);
}

export function cookie(req: Request, name: string): string | undefined {
  const v = (req.cookies as Record<string, unknown> | undefined)?.[name];
  return typeof v === "string" ? v : undefined;
}

/**
 * Form tokens against cross-site requests: an HMAC of the session cookie (or, before sign-in, of the
 * login cookie) under the instance's CSRF key. A page elsewhere can neither read the cookie nor
 * compute the HMAC, so it cannot produce a form that passes.
 */
export class CsrfTokens {
  private readonly key: Buffer;

  constructor(s: Pick<Services, "secrets">) {
    this.key = s.secrets.keyBytes("csrf");
  }

  token(bound: string, purpose: "session" | "login" = "session"): string {
    return createHmac("sha256", this.key).update(`${purpose}:${bound}`).digest("base64url");
  }

  check(bound: string | undefined, given: unknown, purpose: "session" | "login" = "session"): boolean {
    if (!bound || typeof given !== "string" || given.length === 0) return false;
    const a = Buffer.from(this.token(bound, purpose));
    const b = Buffer.from(given);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

/** The signed-in user of an admin request, set by the pages router. */
export function staffUser(res: Response): StaffUser | null {
  return (res.locals["staff"] as StaffUser | undefined) ?? null;
}
