import type { Request, RequestHandler, Response } from "express";
import type { Html } from "../web/html.js";
import type { ViewContext } from "./views.js";

/* The contract between the admin pages router and the page modules registering on it (domains, deliveries). */

export type FormBody = Record<string, string | string[] | undefined>;

export type PageAction = (req: Request, res: Response, v: ViewContext, body: FormBody) => Promise<void>;

/** What the admin pages router lends these pages: its session and CSRF handling, its frame. */
export interface AdminPageKit {
  /** A signed-in GET page. */
  page(path: string, action: PageAction): void;
  /** A signed-in, CSRF-checked form POST (URL-encoded). */
  post(path: string, action: PageAction): void;
  /** The same, with other body parsers first (for uploads). */
  postWith(path: string, parsers: RequestHandler[], action: PageAction): void;
  render(req: Request, res: Response, v: ViewContext, heading: string, body: Html, status?: number): void;
  /** Redirects to the form's `back` (or `to`) with a notice. */
  back(res: Response, v: ViewContext, notice: string, to?: string): void;
}
