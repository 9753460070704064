import { createHash, timingSafeEqual } from "node:crypto";
import { type Request, Router } from "express";
import type { Services } from "../services/container.js";
import { problemType, sendProblem } from "./problem-document.js";

const BEARER = /^Bearer[ ]+([^\s]+)\s*$/i;

/** Equal strings, compared in constant time (digests first, so the lengths say nothing). */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
}

async function authorized(s: Pick<Services, "config" | "staff">, req: Request): Promise<boolean> {
  const m = BEARER.exec(req.headers.authorization ?? "");
  if (!m) return false;
  const token = m[1]!;
  if (s.config.metricsToken !== null && sameSecret(token, s.config.metricsToken)) return true;
  return s.staff.verifyBearer(token);
}

/**
 * GET /metrics: the Prometheus text exposition of this process, for `Authorization: Bearer` with
 * METRICS_TOKEN or an admin token (ADMIN_TOKEN or an API token); 401 as a problem document otherwise.
 */
export function metricsRouter(s: Pick<Services, "config" | "staff" | "metrics" | "logger">): Router {
  const r = Router();
  r.get("/metrics", async (req, res) => {
    const metrics = s.metrics;
    if (!metrics || !(await authorized(s, req))) {
      sendProblem(
        res,
        {
          type: problemType("unauthorized"),
          title: "Unauthorized",
          status: 401,
          detail: "Send METRICS_TOKEN or an admin token as `Authorization: Bearer <token>`.",
        },
        { "WWW-Authenticate": 'Bearer realm="atoll metrics"' },
      );
      return;
    }
    const { contentType, body } = await metrics.scrape();
    res.status(200).set("Cache-Control", "no-store").type(contentType).send(body);
  });
  return r;
}
