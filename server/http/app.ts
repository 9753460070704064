import cookieParser from "cookie-parser";
import express, { type Express, type RequestHandler } from "express";
import { staticDir } from "../paths.js";
import type { Services } from "../services/container.js";
import { adminApiRouter } from "./admin/api.js";
import { adminWebRouter } from "./admin/pages.js";
import { appealsRouter } from "./api/appeals.js";
import { instanceApiRouter } from "./api/instance.js";
import { postingApiRouter } from "./api/posting.js";
import { readApiRouter } from "./api/read.js";
import { reportsApiRouter } from "./api/reports.js";
import { searchApiRouter } from "./api/search.js";
import { requestLimiter, sameOriginWrites } from "./guards.js";
import { healthRouter } from "./health.js";
import { liveRouter } from "./live/routes.js";
import type { ThreadHub } from "./live/thread-hub.js";
import { mediaRouter } from "./media.js";
import { metricsRouter } from "./metrics-route.js";
import { errorHandler, toProblem, wantsJson } from "./problem.js";
import { sendProblem } from "./problem-document.js";
import { observeRequests } from "./request-log.js";
import type { RequestObserver } from "./request-observer.js";
import { forPaths, gated, reads, underPrefix } from "./route-gates.js";
import { recordHeaders, securityHeaders, setHeaderLines } from "./security-headers.js";
import { staticAssets } from "./static-assets.js";
import { renderErrorPage } from "./web/error-page.js";
import { moderationLogRoutes } from "./web/moderation-log.js";
import { overboardRoutes } from "./web/overboard-routes.js";
import { webRouter } from "./web/routes.js";
import { searchRoutes } from "./web/search-routes.js";

/** The whole HTTP surface of one instance. */
/**
 * `federation`: the ActivityPub routes, mounted before the pages so thread URLs negotiate.
 * `inboxes`: the ActivityPub inboxes, mounted before everything else (signed server-to-server
 * POSTs answered with problem documents need no cookies, page headers or cross-site checks).
 */
export function createHttpApp(
  s: Services,
  federation: RequestHandler,
  inboxes?: RequestHandler,
  live?: ThreadHub,
  observer?: RequestObserver,
): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", s.config.trustProxy);
  app.set("etag", false);
  app.set("query parser", "simple");
  // Probes first: answered whatever the limits, cookies or rules below would say.
  app.use(gated(forPaths("/livez", "/readyz"), healthRouter(s)));
  // Every other request is counted and logged, whatever answers it.
  if (observer) app.use(observeRequests(observer));
  // Scraped by Prometheus with its own token: no cookies, limits or page headers.
  app.use(gated(forPaths("/metrics"), metricsRouter(s)));
  if (inboxes) app.use(inboxes);

  app.use(setHeaderLines(recordHeaders(securityHeaders(s.config))));
  app.use(cookieParser());
  app.use(sameOriginWrites(s.config.publicUrl));
  if (s.config.rateLimit) app.use(requestLimiter(s.limits));

  // The stylesheet and scripts are text read on every first visit: compressed once at start.
  app.use("/static", staticAssets(staticDir()));
  app.use("/media", mediaRouter(s));
  // The ActivityPub objects, WebFinger, NodeInfo and the hash list are read with GET alone.
  app.use(gated(reads, federation));
  app.use(gated(underPrefix("/api/"), postingApiRouter(s)));
  app.use(gated(underPrefix("/api/"), reportsApiRouter(s)));
  app.use(appealsRouter(s));
  app.use(instanceApiRouter(s));
  app.use(adminApiRouter(s));
  // Before the read API, whose `/:board/:page.json` would take `/:board/log.json`.
  app.use(moderationLogRoutes(s));
  // Before the read API and the pages, whose `/:board/…` routes would take these addresses.
  app.use(gated(forPaths("/api/v1/search"), searchApiRouter(s)));
  app.use(overboardRoutes(s));
  app.use(searchRoutes(s));
  app.use(readApiRouter(s));
  app.use(adminWebRouter(s));
  // Before the pages: `/:board/thread/:no?since=` (the Update link) is answered here.
  if (live) app.use(liveRouter(s, live));
  app.use(webRouter(s));

  const notFound: RequestHandler = (req, res) => {
    const problem = toProblem({ status: 404, message: "There is nothing at this address." }, s.logger);
    if (wantsJson(req)) sendProblem(res, problem);
    else
      res
        .status(404)
        .type("html")
        .send(renderErrorPage(s, problem, req.path));
  };
  app.use(notFound);
  app.use(errorHandler(s.logger, (problem, req) => renderErrorPage(s, problem, req.path)));
  return app;
}
