import type { HashListFormat } from "./hash-lists.js";

/**
 * Subscriptions to other instances' hash lists, and the offer of this instance's own list to chosen
 * peers: domains whose instance actor may fetch it signed, and tokens minted for it.
 */

/** The media-ban source of a subscribed list's entries. */
export const listSource = (id: string): string => `list:${id}`;

export interface MediaBanList {
  id: string;
  url: string;
  format: HashListFormat;
  /** Sent as a bearer token when the list is fetched; never shown back. */
  token: string | null;
  /** Hashes of this list that are not banned here (an admin's exception). */
  excludes: string[];
  createdAt: number;
  createdBy: string;
  lastSyncAt: number | null;
  /** `ok`, `ok (n lines skipped)` or `error: …`. */
  lastStatus: string | null;
  lastChange: { added: number; removed: number } | null;
}

export type MediaBanListPatch = Partial<Pick<MediaBanList, "excludes" | "lastSyncAt" | "lastStatus" | "lastChange">>;

export interface MediaBanListAudit {
  id: string;
  at: number;
  actor: string;
  /**
   * list.create, list.delete, list.sync, list.sync_failed, list.exclude, list.include, peer.grant,
   * peer.revoke, token.create, token.revoke, ban.create, ban.lift.
   */
  action: string;
  listId: string | null;
  detail: Record<string, unknown>;
}

export interface ListPeerGrant {
  domain: string;
  grantedBy: string;
  grantedAt: number;
}

export interface ListToken {
  id: string;
  label: string;
  /** sha256 of the token, hex; the token itself is shown once and never kept. */
  hash: string;
  createdBy: string;
  createdAt: number;
}

export interface MediaBanListRepository {
  create(list: MediaBanList): Promise<void>;
  get(id: string): Promise<MediaBanList | null>;
  /** Oldest first. */
  list(): Promise<MediaBanList[]>;
  update(id: string, patch: MediaBanListPatch): Promise<MediaBanList | null>;
  delete(id: string): Promise<boolean>;
  addAudit(entry: MediaBanListAudit): Promise<void>;
  /** Newest first, skipping the `offset` newest. */
  audit(limit: number, offset?: number): Promise<MediaBanListAudit[]>;
  /** False when the domain was granted already. */
  grant(grant: ListPeerGrant): Promise<boolean>;
  revoke(domain: string): Promise<boolean>;
  grants(): Promise<ListPeerGrant[]>;
  isGranted(domain: string): Promise<boolean>;
  addToken(token: ListToken): Promise<void>;
  tokens(): Promise<ListToken[]>;
  revokeToken(id: string): Promise<boolean>;
  tokenByHash(hash: string): Promise<ListToken | null>;
}
