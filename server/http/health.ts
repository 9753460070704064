import { type Response, Router } from "express";
import type { Services } from "../services/container.js";

/** How long readiness waits for the store before calling it not ready (a database that hangs). */
const READY_TIMEOUT_MS = 2000;

function plain(res: Response, status: number, body: string): void {
  res.status(status).set("Cache-Control", "no-store").type("text/plain; charset=utf-8").send(`${body}\n`);
}

/**
 * Probes for process supervisors and load balancers, without authentication: `/livez` answers while
 * the process runs, `/readyz` while the store answers too. The app mounts them ahead of every other
 * middleware, so no rate limit, cookie or domain rule ever stands between a probe and its answer.
 */
export function healthRouter(s: Pick<Services, "store" | "logger"> & Partial<Pick<Services, "metrics">>): Router {
  const r = Router();
  // Logged when readiness changes, not on every probe.
  let ready = true;

  r.get("/livez", (_req, res) => plain(res, 200, "ok"));

  r.get("/readyz", async (_req, res) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    });
    try {
      const ping = s.metrics ? s.metrics.timeStore("ping", () => s.store.ping()) : s.store.ping();
      await Promise.race([ping, timeout]);
      if (!ready) s.logger.info("ready again: the store answers");
      ready = true;
      plain(res, 200, "ready");
    } catch (err) {
      if (ready) s.logger.warn("not ready: the store does not answer", { store: s.store.kind, err });
      ready = false;
      plain(res, 503, "not ready: the store does not answer");
    } finally {
      clearTimeout(timer);
    }
  });

  return r;
}
