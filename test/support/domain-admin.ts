import { createHash } from "node:crypto";
import request from "supertest";
import { startTestInstance, type TestInstance } from "./instance.js";

/* What the tests of the domain moderation admin API share: the token, an instance, and its API. */

export const TOKEN = "t".repeat(32);
export const auth = { Authorization: `Bearer ${TOKEN}` };
export const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
export const CSV_HEADER = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate";

/** An instance with the admin token, allowed to fetch from loopback (where the test list servers are). */
export function startDomainAdminInstance(): Promise<TestInstance> {
  return startTestInstance({ ADMIN_TOKEN: TOKEN, ALLOW_PRIVATE_ADDRESSES: "on" });
}

/**
 * Requests to the instance `current` returns at the time of the call: any request, a block created
 * through the API, and the domains blocked now.
 */
export function adminApi(current: () => TestInstance) {
  const api = () => request(current().app);
  return {
    api,
    block: (body: Record<string, unknown>) => api().post("/api/v1/admin/domain_blocks").set(auth).send(body),
    async domains(): Promise<string[]> {
      return (await current().services.defederation.listBlocks()).map((b) => b.domain).sort();
    },
  };
}
