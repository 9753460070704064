import type { DomainBlock, Severity } from "../../server/domain/defederation/rules.js";

/** A manual instance block on `domain`, with every flag off unless `extra` sets it. */
export function domainBlock(domain: string, severity: Severity, extra: Partial<DomainBlock> = {}): DomainBlock {
  return {
    id: `block-${domain}`,
    domain,
    severity,
    rejectMedia: false,
    rejectReports: false,
    privateComment: "",
    publicComment: "",
    obfuscate: false,
    expiresAt: null,
    evidenceUrl: null,
    origin: "manual",
    stagedSeverity: null,
    createdAt: 0,
    updatedAt: 0,
    ...extra,
  };
}
