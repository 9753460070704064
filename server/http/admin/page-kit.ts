import express, { type Request, type RequestHandler, type Response, Router } from "express";
import { isBoardUri } from "../../domain/board.js";
import { DomainError } from "../../domain/errors.js";
import { can, type StaffUser } from "../../domain/staff.js";
import type { Services } from "../../services/container.js";
import { mustEnrol } from "../../services/two-factor.js";
import { toProblem } from "../problem.js";
import { type Html, html } from "../web/html.js";
import { type LayoutDeps, layout } from "../web/layout.js";
import { ADMIN_PATH, CsrfTokens, clearSessionCookie, cookie, SESSION_COOKIE, staffUser } from "./auth.js";
import { NOTICES, shell, type ViewContext } from "./views.js";

/*
 * The one kit of the staff pages: session lookup, the permission a route declares, form tokens, the
 * admin frame, redirects back with a notice and error pages. Each area of the pages registers its
 * routes through it, so none of them repeats a session, token or role check.
 */

export type FormBody = Record<string, string | string[] | undefined>;

export type PageAction = (req: Request, res: Response, v: ViewContext, body: FormBody) => Promise<void>;

/**
 * What a route asks of the signed-in user before its handler runs:
 * - `staff`: any staff account; the service decides per item (reports, bans, posts, volunteers);
 * - `manage_instance`: an admin;
 * - `manage_board`: someone who manages the board named by the route's `:uri` (a `:uri` no board can
 *   have is a 404 for everyone);
 * - `manage_a_board`: an admin, or someone who manages at least one existing board.
 */
export type Needs = "staff" | "manage_instance" | "manage_board" | "manage_a_board";

export interface RouteOptions {
  needs: Needs;
  /**
   * Open to an admin whom REQUIRE_ADMIN_2FA holds back until they enrol (their account page, the
   * enrolment forms, signing out); every other route sends them to enrol or refuses them.
   */
  beforeEnrolment?: boolean;
}

/** What the admin pages router lends the page modules: its session and CSRF handling, its frame. */
export interface AdminPageKit {
  /** A signed-in GET page; without options, any staff account may see it. */
  page(path: string, action: PageAction): void;
  page(path: string, route: RouteOptions, action: PageAction): void;
  /** A signed-in, CSRF-checked form POST (URL-encoded). */
  post(path: string, action: PageAction): void;
  post(path: string, route: RouteOptions, action: PageAction): void;
  /** The same, with other body parsers first (for uploads). */
  postWith(path: string, parsers: RequestHandler[], action: PageAction): void;
  postWith(path: string, parsers: RequestHandler[], route: RouteOptions, action: PageAction): void;
  render(req: Request, res: Response, v: ViewContext, heading: string, body: Html, status?: number): void;
  /** Redirects to the form's `back` (or `to`) with a notice. */
  back(res: Response, v: ViewContext, notice: string, to?: string): void;
}

/** The kit as the router's own modules see it: also the raw router, tokens and the bare frame, for sign-in. */
export interface AdminWebKit extends AdminPageKit {
  readonly router: Router;
  readonly csrf: CsrfTokens;
  /** The URL-encoded form parser every admin form goes through. */
  readonly form: RequestHandler;
  /** A page in the site layout, outside the admin frame. */
  send(res: Response, title: string, body: Html, status?: number): void;
}

/** The first value of a form field. */
export function field(body: FormBody, name: string): string | undefined {
  const v = body[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Every value of a repeatable form field. */
export function fields(body: FormBody, name: string): string[] {
  const v = body[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Whether a checkbox was ticked. */
export function checked(body: FormBody, name: string): boolean {
  const v = field(body, name);
  return v !== undefined && v !== "";
}

/**
 * Only admin paths and a board's own pages (index, index page, catalog, thread: where the inline staff
 * controls are) are places to come back to, so `back` can never send anyone elsewhere.
 */
function safeBack(value: string | undefined): string {
  if (typeof value !== "string") return ADMIN_PATH;
  if (/^\/admin(\/[A-Za-z0-9_-]+)*(\?[A-Za-z0-9_=&%.-]*)?$/.test(value)) return value;
  return BOARD_PAGE.test(value) ? value : ADMIN_PATH;
}

const BOARD_PAGE = /^\/[a-z0-9]{1,30}\/(?:[1-9][0-9]{0,5}|catalog|thread\/[1-9][0-9]{0,14})?$/;

function withNotice(path: string, notice: string): string {
  // A board's page is the same for everyone who reads it: it gets no notice in its address.
  if (BOARD_PAGE.test(path)) return path;
  const u = new URL(path, "http://admin.invalid");
  u.searchParams.set("ok", notice);
  return `${u.pathname}${u.search}`;
}

/** The page's own path and query, without the notice, for forms to return to. */
function currentPath(req: Request): string {
  const u = new URL(req.originalUrl, "http://admin.invalid");
  u.searchParams.delete("ok");
  return safeBack(`${u.pathname}${u.search}`);
}

const ACCOUNT_PATH = "/admin/account";
const ENROL_FIRST = "This instance requires admins to sign in with a second factor: set it up on Your account first.";

const EXPIRED_FORM = "This form has expired or did not come from this site. Go back, reload the page and try again.";

/**
 * Builds the admin router with its session lookup in front, and the kit that registers pages on it.
 * Routes registered later see `staffUser(res)` set for a valid session cookie; a stale cookie is cleared.
 */
/** What the kit uses: sessions, form keys, the board list for permissions, the frame and the log. */
export type AdminKitDeps = LayoutDeps & Pick<Services, "staff" | "secrets" | "boards" | "logger" | "urls" | "policy">;

export function adminPageKit(s: AdminKitDeps): AdminWebKit {
  const router = Router();
  const csrf = new CsrfTokens(s);
  const form = express.urlencoded({ extended: false, limit: "64kb", parameterLimit: 200 });

  router.use(ADMIN_PATH, async (req, res, next) => {
    res.setHeader("Cache-Control", "no-store");
    const token = cookie(req, SESSION_COOKIE);
    const user = token ? await s.staff.userForSession(token) : null;
    if (user && token) {
      res.locals["staff"] = user;
      res.locals["session"] = token;
    } else if (token) {
      clearSessionCookie(s, res);
    }
    next();
  });

  const allowed = async (user: StaffUser, needs: Needs, req: Request): Promise<boolean> => {
    switch (needs) {
      case "staff":
        return true;
      case "manage_instance":
        return can(user, "manage_instance", null);
      case "manage_board": {
        const uri = String(req.params["uri"]);
        // A name no board can have is not found for anyone, before whether this user manages it.
        if (!isBoardUri(uri)) throw new DomainError("not_found", `Board /${uri}/ does not exist.`);
        return can(user, "manage_board", uri);
      }
      case "manage_a_board":
        return (
          can(user, "manage_instance", null) || (await s.boards.list()).some((b) => can(user, "manage_board", b.uri))
        );
    }
  };

  const send = (res: Response, title: string, body: Html, status = 200) => {
    res
      .status(status)
      .type("html")
      .send(layout(s, { title, body, bodyClass: "admin-page" }));
  };

  const render = (req: Request, res: Response, v: ViewContext, heading: string, body: Html, status = 200) => {
    const ok = req.query["ok"];
    const notice = typeof ok === "string" ? (NOTICES[ok] ?? null) : null;
    send(res, `${heading} · Admin`, shell(v, heading, body, notice), status);
  };

  /**
   * Runs a signed-in page or action: the form token first (on a POST), then the route's permission,
   * then the handler. A refusal is shown inside the admin frame with its status.
   */
  const signedIn =
    (method: "get" | "post", route: RouteOptions, action: PageAction) =>
    async (req: Request, res: Response): Promise<void> => {
      const user = staffUser(res);
      const session = res.locals["session"] as string | undefined;
      if (!user || !session) {
        res.redirect(303, ADMIN_PATH);
        return;
      }
      if (method === "get" && !route.beforeEnrolment && mustEnrol(user, s.config.requireAdmin2fa)) {
        res.redirect(303, `${ACCOUNT_PATH}#two-factor`);
        return;
      }
      const body = (method === "post" ? (req.body ?? {}) : {}) as FormBody;
      const v: ViewContext = {
        s,
        user,
        csrf: csrf.token(session),
        path: method === "post" ? safeBack(field(body, "back")) : currentPath(req),
      };
      try {
        if (method === "post" && !csrf.check(session, field(body, "csrf"))) {
          throw new DomainError("forbidden", EXPIRED_FORM);
        }
        if (!route.beforeEnrolment && mustEnrol(user, s.config.requireAdmin2fa))
          throw new DomainError("forbidden", ENROL_FIRST);
        if (!(await allowed(user, route.needs, req)))
          throw new DomainError("forbidden", "Your role does not allow this.");
        await action(req, res, v, body);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        const problem = toProblem(err, s.logger);
        if (problem.status === 429 && typeof problem["retry_after"] === "number")
          res.setHeader("Retry-After", String(problem["retry_after"]));
        render(
          req,
          res,
          v,
          problem.title,
          html`<p class="admin-error" role="alert">${problem.detail}</p><p><a href="${v.path}">Back</a></p>`,
          problem.status,
        );
      }
    };

  /** The route's options and handler, from either call shape. */
  const split = (args: [PageAction] | [RouteOptions, PageAction]): [RouteOptions, PageAction] =>
    args.length === 1 ? [{ needs: "staff" }, args[0]] : [args[0], args[1]];

  return {
    router,
    csrf,
    form,
    send,
    render,
    page(path: string, ...args: [PageAction] | [RouteOptions, PageAction]) {
      const [route, action] = split(args);
      router.get(path, signedIn("get", route, action));
    },
    post(path: string, ...args: [PageAction] | [RouteOptions, PageAction]) {
      const [route, action] = split(args);
      router.post(path, form, signedIn("post", route, action));
    },
    postWith(path: string, parsers: RequestHandler[], ...args: [PageAction] | [RouteOptions, PageAction]) {
      const [route, action] = split(args);
      router.post(path, ...parsers, signedIn("post", route, action));
    },
    back(res: Response, v: ViewContext, notice: string, to = v.path) {
      res.redirect(303, withNotice(to, notice));
    },
  };
}
