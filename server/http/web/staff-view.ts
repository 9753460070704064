import type { Request, Response } from "express";
import { can, type StaffUser } from "../../domain/staff.js";
import type { Services } from "../../services/container.js";
import { mustEnrol } from "../../services/two-factor.js";
import { CsrfTokens, cookie, SESSION_COOKIE } from "../admin/auth.js";
import { capcodeRow, postControls } from "./pages/staff-controls.js";

/*
 * The staff variant of a board's pages. A signed-in moderator of the board gets the page with the
 * moderation controls on every post and the capcode choice in the post form. That variant is built
 * for the request, outside the shared render cache, and sent `private, no-store`, so no reader, proxy
 * or later visitor is ever served it; everyone else gets the cached page, which never carries staff
 * markup.
 */

export type StaffViewDeps = Pick<Services, "staff" | "secrets" | "store" | "config">;

export interface StaffViewer {
  user: StaffUser;
  /** The form token bound to the viewer's session. */
  csrf: string;
}

export class StaffView {
  private readonly csrf: CsrfTokens;

  constructor(private readonly s: StaffViewDeps) {
    this.csrf = new CsrfTokens(s);
  }

  /** The signed-in user of the request, if any. A reader without a session cookie costs no lookup. */
  async viewer(req: Request): Promise<StaffViewer | null> {
    const token = cookie(req, SESSION_COOKIE);
    if (!token) return null;
    const user = await this.s.staff.userForSession(token);
    // An admin REQUIRE_ADMIN_2FA holds back acts nowhere, the board pages included, until they enrol.
    if (user && mustEnrol(user, this.s.config.requireAdmin2fa)) return null;
    return user ? { user, csrf: this.csrf.token(token) } : null;
  }

  /** The viewer when they moderate `board`, else null (the reader's page is theirs too). */
  async moderatorOf(req: Request, board: string): Promise<StaffViewer | null> {
    const v = await this.viewer(req);
    return v && can(v.user, "moderate", board) ? v : null;
  }

  /**
   * The page's HTML with the controls added after each post's opening tag (and each catalog card's),
   * and the capcode choice before the post form's submit row. Each post is read from the store, so
   * the controls say what the post is now (its file, its thread's flags).
   */
  async decorate(page: string, board: string, viewer: StaffViewer, back: string): Promise<string> {
    const ctx = { csrf: viewer.csrf, back, board };
    const nos = new Set<number>();
    for (const m of page.matchAll(POST_OPENING)) nos.add(Number(m[2] ?? m[3]));
    const controls = new Map<number, string>();
    for (const no of nos) {
      const post = await this.s.store.posts.getPost(board, no);
      if (!post) continue;
      const state = await this.s.store.posts.getThread(board, post.threadNo);
      if (state) controls.set(no, String(postControls(ctx, post, state)));
    }
    const withControls = page.replace(POST_OPENING, (tag: string, _a: string, a?: string, b?: string) => {
      const added = controls.get(Number(a ?? b));
      return added ? `${tag}\n${added}` : tag;
    });
    return withControls.replace(SUBMIT_ROW, (row) => `${String(capcodeRow(viewer.user.role))}\n${row}`);
  }
}

/** A post's opening tag (thread and index pages) or a catalog card's. */
const POST_OPENING = /<article class="(post [^"]*" id="p(\d+)" data-no="\d+"|catalog-thread[^"]*" id="c(\d+)")>/g;
/** The submit row of the post form. */
const SUBMIT_ROW = /<div class="form-row submit-row">/;

/** Sends a staff variant: never stored by anyone, and marked as depending on the cookie. */
export function sendStaffPage(res: Response, page: string): void {
  res.setHeader("Cache-Control", "private, no-store");
  res.setHeader("Vary", "Accept, Accept-Encoding, Cookie");
  res.type("html").send(page);
}
