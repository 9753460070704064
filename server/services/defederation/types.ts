import type { DomainBlock, Severity } from "../../domain/defederation/rules.js";
import type { BlocklistEntry, BlocklistFormat } from "../../domain/defederation-ports.js";
import type { Store } from "../../domain/ports.js";
import type { SeveredRelationship } from "../../domain/severance.js";
import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import type { DomainPolicy } from "./rules-in-force.js";

/* What defederation is built from and what its callers hand it and get back. */

/** Fetches a subscribed blocklist; the federation implements it with the one guarded client. */
export interface BlocklistFetcher {
  fetch(url: string): Promise<{ text: string; contentType: string | null }>;
}

/** A follow a suspension cuts, as the severance records keep it. */
export type SeveredFollow = Omit<SeveredRelationship, "eventId">;

/** What a change of the rules does to data the instance holds; the composition root wires it. */
export interface HeldDataEffects {
  /**
   * Severs follows both ways with the domains (and their subdomains) now suspended; returns how many.
   * `record` is handed every follow about to be cut before any is, so what is cut is never unrecorded.
   */
  severFollows(
    isSuspended: (domain: string) => boolean,
    record?: (severed: SeveredFollow[]) => Promise<void>,
  ): Promise<number>;
  /** How many follows (both directions) each remote domain has, for previews and staging. */
  followCounts(): Promise<Map<string, number>>;
  /** Deletes the cached media of posts from domains now rejecting media or suspended; returns how many files. */
  dropMedia(rejects: (domain: string) => boolean): Promise<number>;
  /** Deletes the posts of a purged domain (and its subdomains); returns how many. */
  purgePosts(domain: string): Promise<number>;
  /** Every remote domain the instance holds posts or follows of. */
  remoteDomains(): Promise<string[]>;
}

export interface DefederationOptions {
  store: Store;
  policy: DomainPolicy;
  clock: Clock;
  logger: Logger;
  purgeGraceMs: number;
  syncIntervalMs: number;
  /** How often another process's rule changes are picked up. Default 5 s. */
  reloadIntervalMs?: number;
  fetcher?: BlocklistFetcher | null;
  effects?: HeldDataEffects | null;
  allowPrivateAddresses?: boolean;
}

export interface BlockInput {
  domain: string;
  severity?: Severity;
  rejectMedia?: boolean;
  rejectReports?: boolean;
  privateComment?: string;
  publicComment?: string;
  obfuscate?: boolean;
  expiresAt?: number | null;
  evidenceUrl?: string | null;
}

export type BlockPatch = Partial<Omit<BlockInput, "domain">>;

export interface AllowInput {
  domain: string;
  comment?: string;
}

/** A board's own rule; its severity is silence or suspend (the service refuses noop). */
export interface BoardRuleInput {
  domain: string;
  severity?: Severity;
  rejectMedia?: boolean;
  comment?: string;
}

export interface ImportPreview {
  create: BlocklistEntry[];
  update: Array<{ before: DomainBlock; after: BlocklistEntry }>;
  skippedCovered: string[];
  unchanged: number;
  errors: Array<{ line: number; message: string }>;
  /** Local follows the import would sever, per domain. */
  severs: Array<{ domain: string; follows: number }>;
}

export interface ImportResult extends ImportPreview {
  applied: number;
}

export interface SyncResult {
  subscriptionId: string | null;
  created: number;
  updated: number;
  removed: number;
  staged: number;
  draft: boolean;
  errors: number;
  domains: { created: string[]; updated: string[]; removed: string[] };
}

export type Progress = (step: string, done: number, total: number) => void;

export type SubscriptionPatch = Partial<Omit<SubscriptionInput, "url">>;

export interface SubscriptionInput {
  url: string;
  format?: BlocklistFormat;
  priority?: number;
  excludes?: string[];
  draft?: boolean;
}
