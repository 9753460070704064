import { type Request, type Response, Router } from "express";
import type { Services } from "../../services/container.js";
import { sendRendered } from "../respond.js";
import { type InstanceInfoDeps, mastodonInstanceRoutes } from "./mastodon-instance.js";

const JSON_TYPE = "application/json; charset=utf-8";

/** Other servers and tools read these from anywhere, as they do from Mastodon. */
function cors(res: Response): void {
  res.setHeader("Access-Control-Allow-Origin", "*");
}

/**
 * Public information about the instance in Mastodon's shapes: the instance itself (v1 and v2, see
 * ./mastodon-instance.ts), and at `GET /api/v1/instance/domain_blocks`
 * lists the servers this instance limits (`silence` or `suspend`), obfuscated domains masked but
 * matchable by their digest, with the public reason ("" when none is given). The answer is
 * rendered once per version of the rules in force.
 */
export function instanceApiRouter(s: Pick<Services, "policy" | "defederation"> & InstanceInfoDeps): Router {
  const r = Router();
  mastodonInstanceRoutes(r, s, cors);

  r.options("/api/v1/instance/domain_blocks", (_req, res) => {
    cors(res);
    res.setHeader("Access-Control-Allow-Methods", "GET, OPTIONS");
    res.setHeader("Access-Control-Max-Age", "86400");
    res.status(204).end();
  });

  r.get("/api/v1/instance/domain_blocks", async (req: Request, res: Response) => {
    const rendered = await s.cache.get("api:instance:domain_blocks", String(s.policy.version), JSON_TYPE, async () =>
      JSON.stringify(
        (await s.defederation.publicBlocks()).map((b) => ({
          domain: b.domain,
          digest: b.digest,
          severity: b.severity,
          comment: b.comment,
        })),
      ),
    );
    cors(res);
    sendRendered(req, res, rendered);
  });

  return r;
}
