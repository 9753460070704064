import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { Logger } from "../services/logger.js";

interface Open {
  method: string;
  /** The path without its query, which may carry what is nobody's business in a log. */
  path: string;
  since: number;
}

/**
 * The requests a server is answering, so a shutdown can wait for them and say which it had to cut.
 * A request counts from its headers until its response is finished or its connection is gone.
 */
export class InFlightRequests {
  readonly #open = new Map<ServerResponse, Open>();
  #idle: Array<() => void> = [];

  track(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? "";
    const q = url.indexOf("?");
    this.#open.set(res, {
      method: req.method ?? "",
      path: (q < 0 ? url : url.slice(0, q)).slice(0, 300),
      since: performance.now(),
    });
    res.once("close", () => {
      this.#open.delete(res);
      if (this.#open.size === 0) for (const resolve of this.#idle.splice(0)) resolve();
    });
  }

  get size(): number {
    return this.#open.size;
  }

  /** Resolves once no request is open, or after `ms`. */
  idle(ms: number): Promise<void> {
    if (this.#open.size === 0 || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#idle = this.#idle.filter((f) => f !== done);
        resolve();
      }, ms);
      this.#idle.push(done);
    });
  }

  /** Logs every request still open as cut by the shutdown: method, path and how long it ran. */
  logCut(logger: Logger): void {
    const now = performance.now();
    for (const r of this.#open.values()) {
      logger.warn("request cut at shutdown", { method: r.method, path: r.path, ms: Math.round(now - r.since) });
    }
  }
}
