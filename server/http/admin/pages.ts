import { randomBytes } from "node:crypto";
import express, { type Request, type RequestHandler, type Response, Router } from "express";
import { type BoardSettings, IMAGE_TYPES, isBoardUri } from "../../domain/board.js";
import { DomainError } from "../../domain/errors.js";
import type { Post } from "../../domain/post.js";
import { can, type Report, type Role, type StaffUser } from "../../domain/staff.js";
import type { Services } from "../../services/container.js";
import { LoginThrottle } from "../../services/login-throttle.js";
import { clientIp } from "../post-input.js";
import { toProblem } from "../problem.js";
import { positiveInt } from "../respond.js";
import { type Html, html } from "../web/html.js";
import { layout } from "../web/layout.js";
import {
  ADMIN_PATH,
  CsrfTokens,
  clearSessionCookie,
  cookie,
  cookieOptions,
  LOGIN_COOKIE,
  SESSION_COOKIE,
  setSessionCookie,
  staffUser,
} from "./auth.js";
import { domainPages } from "./defederation/pages.js";
import { deliveryPages } from "./delivery-pages.js";
import {
  bansView,
  boardSettingsView,
  boardsView,
  loginPage,
  NOTICES,
  reportsView,
  SETTINGS_FORM,
  shell,
  threadsView,
  tokensView,
  usersView,
  type ViewContext,
  volunteersView,
} from "./views.js";

type FormBody = Record<string, string | string[] | undefined>;
type Action = (req: Request, res: Response, v: ViewContext, body: FormBody) => Promise<void>;

/** The first value of a form field. */
function field(body: FormBody, name: string): string | undefined {
  const v = body[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Every value of a repeatable form field. */
function fields(body: FormBody, name: string): string[] {
  const v = body[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

const checked = (body: FormBody, name: string) => field(body, name) !== undefined && field(body, name) !== "";

/** Only admin paths are places to come back to, so `back` can never send anyone elsewhere. */
function safeBack(value: string | undefined): string {
  return typeof value === "string" && /^\/admin(\/[A-Za-z0-9_-]+)*(\?[A-Za-z0-9_=&%.-]*)?$/.test(value)
    ? value
    : ADMIN_PATH;
}

function withNotice(path: string, notice: keyof typeof NOTICES): string {
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

function postRef(body: FormBody): { board: string; no: number } {
  const board = field(body, "board") ?? "";
  const no = positiveInt(field(body, "no"));
  if (!isBoardUri(board) || no === null) throw new DomainError("invalid", "Name a board and a post number.");
  return { board, no };
}

function requirePermission(
  user: StaffUser,
  permission: "manage_instance" | "manage_board",
  board: string | null,
): void {
  if (!can(user, permission, board)) throw new DomainError("forbidden", "Your role does not allow this.");
}

/** A board settings form as the settings patch BoardService validates. */
function settingsFromForm(body: FormBody): Partial<BoardSettings> {
  const out: Record<string, unknown> = {};
  for (const key of SETTINGS_FORM.numbers) {
    const raw = (field(body, key) ?? "").trim();
    if (!/^[0-9]{1,12}$/.test(raw)) throw new DomainError("invalid", `${key}: a whole number.`);
    out[key] = Number(raw);
  }
  for (const key of SETTINGS_FORM.booleans) out[key] = checked(body, key);
  out["defaultName"] = field(body, "defaultName") ?? "";
  out["allowedTypes"] = fields(body, "allowedTypes").filter((t) => (IMAGE_TYPES as readonly string[]).includes(t));
  return out as Partial<BoardSettings>;
}

/**
 * The staff pages under /admin: sign-in, the reports queue, bans, post and thread tools, boards,
 * staff accounts and API tokens, each shown by role. Every page is per user and never cached; every
 * form is a plain POST answered with a redirect back, and carries a token bound to the session.
 */
export function adminWebRouter(s: Services): Router {
  const r = Router();
  const csrf = new CsrfTokens(s);
  const limiter = new LoginThrottle(s.store.limits.counters, s.clock, s.secrets.key("ip"));
  const form = express.urlencoded({ extended: false, limit: "64kb", parameterLimit: 200 });

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

  /** The login form, with the pre-session cookie its token is bound to. */
  const renderLogin = (req: Request, res: Response, message: string | null, status: number, username = "") => {
    let nonce = cookie(req, LOGIN_COOKIE);
    if (!nonce || !/^[A-Za-z0-9_-]{22}$/.test(nonce)) {
      nonce = randomBytes(16).toString("base64url");
      res.cookie(LOGIN_COOKIE, nonce, cookieOptions(s, 12 * 60 * 60 * 1000));
    }
    send(res, "Staff sign-in", loginPage(csrf.token(nonce, "login"), message, username), status);
  };

  /** Runs a signed-in page or action; a refusal is shown inside the admin frame with its status. */
  const signedIn =
    (method: "get" | "post", action: Action) =>
    async (req: Request, res: Response): Promise<void> => {
      const user = staffUser(res);
      const session = res.locals["session"] as string | undefined;
      if (!user || !session) {
        res.redirect(303, ADMIN_PATH);
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
          throw new DomainError(
            "forbidden",
            "This form has expired or did not come from this site. Go back, reload the page and try again.",
          );
        }
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

  const page = (path: string, action: Action) => r.get(path, signedIn("get", action));
  const post = (path: string, action: Action) => r.post(path, form, signedIn("post", action));
  const back = (res: Response, v: ViewContext, notice: keyof typeof NOTICES, to = v.path) =>
    res.redirect(303, withNotice(to, notice));

  r.use(ADMIN_PATH, async (req, res, next) => {
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

  r.get(ADMIN_PATH, async (req, res, next) => {
    if (staffUser(res)) return next();
    renderLogin(req, res, null, 200);
  });

  r.get("/admin/login", (_req, res) => res.redirect(303, ADMIN_PATH));

  r.post("/admin/login", form, async (req, res) => {
    const body = (req.body ?? {}) as FormBody;
    const username = (field(body, "username") ?? "").trim().toLowerCase().slice(0, 64);
    const password = field(body, "password") ?? "";
    if (!csrf.check(cookie(req, LOGIN_COOKIE), field(body, "csrf"), "login")) {
      renderLogin(req, res, "The sign-in form expired. Please try again.", 403, username);
      return;
    }
    const ip = clientIp(req);
    const wait = await limiter.take(username, ip);
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
    await limiter.reset(username, ip);
    const old = cookie(req, SESSION_COOKIE);
    if (old) await s.staff.logout(old);
    setSessionCookie(s, res, await s.staff.createSession(user.username));
    const { maxAge: _unused, ...opts } = cookieOptions(s, 0);
    res.clearCookie(LOGIN_COOKIE, opts);
    res.redirect(303, ADMIN_PATH);
  });

  post("/admin/logout", async (_req, res) => {
    await s.staff.logout(res.locals["session"] as string);
    clearSessionCookie(s, res);
    res.redirect(303, ADMIN_PATH);
  });

  // Reports queue: the dashboard.
  page(ADMIN_PATH, async (req, res, v) => {
    const reports = await s.moderation.listReports(v.user);
    const items: Array<{ report: Report; post: Post | null }> = [];
    for (const report of reports.slice(0, 200)) {
      items.push({ report, post: await s.store.posts.getPost(report.board, report.postNo) });
    }
    render(req, res, v, "Open reports", reportsView(v, items));
  });

  post("/admin/reports/:id/dismiss", async (req, res, v) => {
    await s.moderation.resolveReport(v.user, String(req.params["id"]));
    back(res, v, "dismissed");
  });

  post("/admin/posts/delete", async (_req, res, v, body) => {
    const { board, no } = postRef(body);
    const fileOnly = checked(body, "file_only");
    await s.moderation.deletePost(v.user, board, no, { fileOnly });
    back(res, v, fileOnly ? "file_deleted" : "deleted");
  });

  // Bans.
  page("/admin/bans", async (req, res, v) => {
    render(req, res, v, "Bans", bansView(v, await s.moderation.listBans(v.user)));
  });

  post("/admin/bans", async (_req, res, v, body) => {
    const ref = (field(body, "post") ?? "").trim();
    const m = /^([a-z0-9]{1,30})\/([1-9][0-9]{0,14})$/.exec(ref);
    if (!m) throw new DomainError("invalid", 'Name the post to ban for as "board/number", for example "b/123".');
    const postBoard = m[1] as string;
    const scope = field(body, "board");
    const board = scope !== undefined ? scope || null : checked(body, "board_only") ? postBoard : null;
    const duration = (field(body, "duration") ?? "").trim();
    if (duration !== "" && positiveInt(duration) === null) throw new DomainError("invalid", "Choose a ban length.");
    await s.moderation.ban(v.user, {
      board,
      post: ref,
      reason: field(body, "reason") ?? "",
      durationSeconds: duration === "" ? null : Number(duration),
    });
    const alsoDelete = checked(body, "delete_post");
    if (alsoDelete) await s.moderation.deletePost(v.user, postBoard, Number(m[2]));
    back(res, v, alsoDelete ? "banned_deleted" : "banned");
  });

  post("/admin/bans/:id/lift", async (req, res, v) => {
    await s.moderation.unban(v.user, String(req.params["id"]));
    back(res, v, "lifted");
  });

  // Post and thread tools.
  page("/admin/threads", async (req, res, v) => {
    const board = typeof req.query["board"] === "string" ? req.query["board"].trim() : "";
    const noText = typeof req.query["no"] === "string" ? req.query["no"].trim() : "";
    let found: Awaited<ReturnType<typeof s.moderation.inspect>> | null = null;
    let message: Html | null = null;
    if (board !== "" || noText !== "") {
      const no = positiveInt(noText);
      try {
        if (!isBoardUri(board) || no === null) throw new DomainError("invalid", "Name a board and a post number.");
        found = await s.moderation.inspect(v.user, board, no);
      } catch (err) {
        if (!(err instanceof DomainError) || err.kind === "forbidden") throw err;
        message = html`<p class="admin-error" role="alert">${err.message}</p>`;
      }
    }
    render(req, res, v, "Posts & threads", html`${message}${threadsView(v, { board, no: noText }, found)}`);
  });

  post("/admin/threads/flags", async (_req, res, v, body) => {
    const { board, no } = postRef(body);
    await s.moderation.setThreadFlags(v.user, board, no, {
      sticky: checked(body, "sticky"),
      locked: checked(body, "locked"),
      archived: checked(body, "archived"),
    });
    back(res, v, "thread_saved");
  });

  // Boards.
  page("/admin/boards", async (req, res, v) => {
    const all = await s.boards.list();
    const boards = all.filter((b) => can(v.user, "manage_board", b.uri));
    if (!can(v.user, "manage_instance", null) && boards.length === 0) {
      throw new DomainError("forbidden", "Your role does not allow this.");
    }
    render(req, res, v, "Boards", boardsView(v, boards));
  });

  post("/admin/boards", async (_req, res, v, body) => {
    requirePermission(v.user, "manage_instance", null);
    await s.boards.create({
      uri: (field(body, "uri") ?? "").trim(),
      title: field(body, "title") ?? "",
      description: field(body, "description") ?? "",
      settings: { sfw: checked(body, "sfw") },
    });
    back(res, v, "board_created", "/admin/boards");
  });

  page("/admin/boards/:uri", async (req, res, v) => {
    const uri = String(req.params["uri"]);
    requirePermission(v.user, "manage_board", uri);
    const board = await s.boards.get(uri);
    const volunteers = await s.staff.volunteersOf(board.uri);
    render(
      req,
      res,
      v,
      `Settings of /${board.uri}/`,
      html`${boardSettingsView(v, board)}${volunteersView(v, board, volunteers)}`,
    );
  });

  // A board's volunteers, managed by its owner (the service checks who may).
  post("/admin/boards/:uri/volunteers", async (req, res, v, body) => {
    const uri = String(req.params["uri"]);
    const password = field(body, "password");
    await s.staff.addVolunteer(v.user, uri, (field(body, "username") ?? "").trim(), password || undefined);
    back(res, v, "volunteer_added", `/admin/boards/${uri}`);
  });

  post("/admin/boards/:uri/volunteers/:username/remove", async (req, res, v) => {
    const uri = String(req.params["uri"]);
    await s.staff.removeVolunteer(v.user, uri, String(req.params["username"]));
    back(res, v, "volunteer_removed", `/admin/boards/${uri}`);
  });

  post("/admin/boards/:uri/settings", async (req, res, v, body) => {
    const uri = String(req.params["uri"]);
    requirePermission(v.user, "manage_board", uri);
    await s.boards.update(uri, {
      title: field(body, "title") ?? "",
      description: field(body, "description") ?? "",
      settings: settingsFromForm(body),
    });
    back(res, v, "board_saved", `/admin/boards/${uri}`);
  });

  post("/admin/boards/:uri/delete", async (req, res, v, body) => {
    requirePermission(v.user, "manage_instance", null);
    if (field(body, "confirm") !== "yes")
      throw new DomainError("invalid", "Tick the box to confirm deleting the board and all its posts.");
    await s.boards.delete(String(req.params["uri"]));
    back(res, v, "board_deleted", "/admin/boards");
  });

  // Staff accounts.
  page("/admin/users", async (req, res, v) => {
    requirePermission(v.user, "manage_instance", null);
    render(req, res, v, "Staff", usersView(v, await s.staff.listUsers(), await s.boards.list()));
  });

  post("/admin/users", async (_req, res, v, body) => {
    requirePermission(v.user, "manage_instance", null);
    const boards = fields(body, "boards").flatMap((b) => b.split(/[\s,]+/));
    await s.staff.createUser(
      (field(body, "username") ?? "").trim(),
      field(body, "password") ?? "",
      (field(body, "role") ?? "") as Role,
      boards,
    );
    back(res, v, "user_created", "/admin/users");
  });

  post("/admin/users/:username/delete", async (req, res, v) => {
    requirePermission(v.user, "manage_instance", null);
    const username = String(req.params["username"]);
    if (username === v.user.username) throw new DomainError("invalid", "You cannot delete your own account.");
    await s.staff.deleteUser(username);
    back(res, v, "user_deleted", "/admin/users");
  });

  // API tokens.
  page("/admin/tokens", async (req, res, v) => {
    requirePermission(v.user, "manage_instance", null);
    render(req, res, v, "API tokens", tokensView(v, await s.staff.listTokens(), null));
  });

  post("/admin/tokens", async (req, res, v, body) => {
    requirePermission(v.user, "manage_instance", null);
    const { token } = await s.staff.createToken(field(body, "label") ?? "");
    // Shown in this response only, never behind a redirect: the token is not stored anywhere readable.
    render(req, res, { ...v, path: "/admin/tokens" }, "API tokens", tokensView(v, await s.staff.listTokens(), token));
  });

  post("/admin/tokens/:id/delete", async (req, res, v) => {
    requirePermission(v.user, "manage_instance", null);
    await s.staff.deleteToken(String(req.params["id"]));
    back(res, v, "token_deleted", "/admin/tokens");
  });

  const kit = {
    page,
    post,
    postWith: (path: string, parsers: RequestHandler[], action: Action) =>
      r.post(path, ...parsers, signedIn("post", action)),
    render,
    back,
  };
  domainPages(s, kit);
  deliveryPages(s, kit);
  return r;
}
