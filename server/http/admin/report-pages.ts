import type { Post } from "../../domain/post.js";
import type { Report } from "../../domain/staff.js";
import type { Services } from "../../services/container.js";
import { ADMIN_PATH } from "./auth.js";
import type { AdminPageKit } from "./page-kit.js";
import { hiddenSet } from "./poster-token-pages.js";
import { reportsView } from "./views.js";

/* The reports queue, the dashboard at /admin: each staff account sees the reports of what it moderates. */

const SHOWN = 200;

export function reportPages(s: Pick<Services, "moderation" | "store">, kit: AdminPageKit): void {
  const { page, post, render, back } = kit;

  // The service lists only the reports on boards the user moderates.
  page(ADMIN_PATH, { needs: "staff" }, async (req, res, v) => {
    const reports = await s.moderation.listReports(v.user);
    const items: Array<{ report: Report; post: Post | null }> = [];
    for (const report of reports.slice(0, SHOWN)) {
      items.push({ report, post: await s.store.posts.getPost(report.board, report.postNo) });
    }
    render(req, res, v, "Open reports", reportsView(v, items, await hiddenSet(s.store)));
  });

  // The service checks that the user moderates the report's board.
  post("/admin/reports/:id/dismiss", { needs: "staff" }, async (req, res, v) => {
    await s.moderation.resolveReport(v.user, String(req.params["id"]));
    back(res, v, "dismissed");
  });
}
