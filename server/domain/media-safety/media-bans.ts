import { DomainError } from "../errors.js";

/**
 * Media bans: files refused at every door (local uploads and federated attachments), by exact
 * content (sha256) or by perceptual likeness (PDQ, compared by Hamming distance).
 */

export type MediaBanKind = "sha256" | "pdq";
export const MEDIA_BAN_KINDS: readonly MediaBanKind[] = ["sha256", "pdq"];

/** The distance (in bits of 256) within which a PDQ hash matches, unless a ban sets its own. */
export const DEFAULT_PDQ_DISTANCE = 31;
/** Beyond this, unrelated images start matching each other. */
export const MAX_PDQ_DISTANCE = 64;
export const MAX_MEDIA_BAN_REASON = 500;

/** A ban made on this instance; a subscribed list's entries will carry `list:<id>`. */
export const LOCAL_SOURCE = "local";

export interface MediaBan {
  id: string;
  kind: MediaBanKind;
  /** 64 lowercase hex digits, for both kinds. */
  hash: string;
  /** For `pdq`, the greatest distance that matches; null for `sha256`. */
  distance: number | null;
  reason: string;
  createdBy: string;
  createdAt: number;
  source: string;
}

export interface MediaBanRepository {
  /** Stores the ban; false (and nothing written) when the same kind and hash from the same source exists. */
  add(ban: MediaBan): Promise<boolean>;
  get(id: string): Promise<MediaBan | null>;
  /** The ban of this kind and hash from this source, if any. */
  find(kind: MediaBanKind, hash: string, source: string): Promise<MediaBan | null>;
  /** Every ban, newest first. */
  list(): Promise<MediaBan[]>;
  /** Removes the ban; returns it, or null when there was none. */
  delete(id: string): Promise<MediaBan | null>;
  /**
   * Makes the bans of `source` exactly `bans` (by kind and hash): adds the new ones, removes those
   * no longer given, updates the distance and reason of those kept, in one step. Returns what was
   * added and removed.
   */
  replaceSource(source: string, bans: readonly MediaBan[]): Promise<{ added: MediaBan[]; removed: MediaBan[] }>;
  /** Incremented by every add and delete: another process sharing the store reloads its bans when it moves. */
  version(): Promise<number>;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Whether `s` is 64 lowercase hex digits (a sha256 or a PDQ hash as stored). */
export function isHash64(s: unknown): s is string {
  return typeof s === "string" && HEX64.test(s);
}

/**
 * A file refused because it matches a media ban. It says only that the file is not allowed here,
 * never which ban or list matched.
 */
export class MediaRefused extends DomainError {
  constructor() {
    super("forbidden", "This file is not allowed here.");
  }
}
