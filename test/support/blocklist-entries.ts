import { expect } from "vitest";
import type { Severity } from "../../server/domain/defederation/rules.js";
import type { BlocklistEntry } from "../../server/domain/defederation-ports.js";
import { DomainError } from "../../server/domain/errors.js";

/* What the blocklist tests build their expectations from. */

/** A list entry on `domain`, with every flag off and no comment unless `extra` sets them. */
export function entry(
  domain: string,
  severity: Severity = "suspend",
  extra: Partial<BlocklistEntry> = {},
): BlocklistEntry {
  return { domain, severity, rejectMedia: false, rejectReports: false, publicComment: "", obfuscate: false, ...extra };
}

/** Runs `fn`, which must throw DomainError('too_large'). */
export function expectTooLarge(fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(DomainError);
  expect((caught as DomainError).kind).toBe("too_large");
}

/** A blocklist as Mastodon exports it. */
export const MASTODON_EXPORT = [
  "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate",
  "spam.example,suspend,false,false,Spam,false",
  "loud.example,silence,true,false,,false",
  'nazi.example,suspend,true,true,"Hate speech, harassment",true',
  "media.example,noop,true,false,,false",
].join("\n");
