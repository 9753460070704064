import { createHash } from "node:crypto";
import { type DomainBlock, obfuscateDomain } from "./rules.js";

/* The instance's limits as it publishes them, in the shape of Mastodon's public API. Pure. */

/** One item of Mastodon's public `GET /api/v1/instance/domain_blocks`. */
export interface PublicDomainBlock {
  /** The domain, masked with `*` when the rule says obfuscate. */
  domain: string;
  /** Hex SHA-256 of the real domain, so other servers can match a masked one they know. */
  digest: string;
  severity: "silence" | "suspend";
  /** The public comment ("" when there is none). */
  comment: string;
}

/**
 * The public list of the instance's limits: live `silence` and `suspend` rules (a rule is expired
 * from its `expiresAt` on; `noop` rules limit nothing and are not listed), sorted by the domain as
 * shown, then by digest, so the order says nothing about the masked part of a domain.
 */
export function publicDomainBlocks(blocks: readonly DomainBlock[], now: number): PublicDomainBlock[] {
  const out: PublicDomainBlock[] = [];
  for (const b of blocks) {
    if (b.severity === "noop") continue;
    if (b.expiresAt !== null && b.expiresAt <= now) continue;
    out.push({
      domain: b.obfuscate ? obfuscateDomain(b.domain) : b.domain,
      digest: createHash("sha256").update(b.domain).digest("hex"),
      severity: b.severity,
      comment: b.publicComment,
    });
  }
  return out.sort((a, b) =>
    a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0,
  );
}
