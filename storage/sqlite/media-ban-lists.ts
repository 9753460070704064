import type { HashListFormat } from "../../server/domain/media-safety/hash-lists.js";
import type {
  ListPeerGrant,
  ListToken,
  MediaBanList,
  MediaBanListAudit,
  MediaBanListPatch,
  MediaBanListRepository,
} from "../../server/domain/media-safety/media-ban-lists.js";
import { int, nullableInt, nullableStr, str } from "../common/guards.js";
import type { Db } from "./database.js";

interface ListRow {
  id: string;
  url: string;
  format: string;
  token: string | null;
  excludes: string;
  created_at: number;
  created_by: string;
  last_sync_at: number | null;
  last_status: string | null;
  last_change: string | null;
}

interface AuditRow {
  id: string;
  at: number;
  actor: string;
  action: string;
  list_id: string | null;
  detail: string;
}

interface PeerRow {
  domain: string;
  granted_by: string;
  granted_at: number;
}

interface TokenRow {
  id: string;
  label: string;
  hash: string;
  created_by: string;
  created_at: number;
}

const LIST_COLUMNS = "id, url, format, token, excludes, created_at, created_by, last_sync_at, last_status, last_change";

function listFromRow(r: ListRow): MediaBanList {
  return {
    id: r.id,
    url: r.url,
    format: r.format as HashListFormat,
    token: r.token,
    excludes: JSON.parse(r.excludes) as string[],
    createdAt: r.created_at,
    createdBy: r.created_by,
    lastSyncAt: r.last_sync_at,
    lastStatus: r.last_status,
    lastChange: r.last_change === null ? null : (JSON.parse(r.last_change) as MediaBanList["lastChange"]),
  };
}

function listToRow(l: MediaBanList): ListRow {
  return {
    id: str(l.id, "id"),
    url: str(l.url, "url"),
    format: str(l.format, "format"),
    token: nullableStr(l.token, "token"),
    excludes: JSON.stringify(l.excludes.map((h) => str(h, "excludes"))),
    created_at: int(l.createdAt, "createdAt"),
    created_by: str(l.createdBy, "createdBy"),
    last_sync_at: nullableInt(l.lastSyncAt, "lastSyncAt"),
    last_status: nullableStr(l.lastStatus, "lastStatus"),
    last_change: l.lastChange === null ? null : JSON.stringify(l.lastChange),
  };
}

const tokenFromRow = (r: TokenRow): ListToken => ({
  id: r.id,
  label: r.label,
  hash: r.hash,
  createdBy: r.created_by,
  createdAt: r.created_at,
});

export class SqliteMediaBanLists implements MediaBanListRepository {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      insert: db.prepare<[ListRow]>(
        `INSERT INTO media_ban_lists (${LIST_COLUMNS}) VALUES (@id, @url, @format, @token, @excludes,
         @created_at, @created_by, @last_sync_at, @last_status, @last_change)`,
      ),
      get: db.prepare<[string], ListRow>(`SELECT ${LIST_COLUMNS} FROM media_ban_lists WHERE id = ?`),
      list: db.prepare<[], ListRow>(`SELECT ${LIST_COLUMNS} FROM media_ban_lists ORDER BY created_at, id`),
      update: db.prepare<[ListRow]>(
        `UPDATE media_ban_lists SET excludes = @excludes, last_sync_at = @last_sync_at,
         last_status = @last_status, last_change = @last_change WHERE id = @id`,
      ),
      delete: db.prepare<[string]>("DELETE FROM media_ban_lists WHERE id = ?"),
      addAudit: db.prepare<[AuditRow]>(
        `INSERT INTO media_ban_list_audit (id, at, actor, action, list_id, detail)
         VALUES (@id, @at, @actor, @action, @list_id, @detail)`,
      ),
      audit: db.prepare<[number, number], AuditRow>(
        `SELECT id, at, actor, action, list_id, detail FROM media_ban_list_audit
         ORDER BY at DESC, rowid DESC LIMIT ? OFFSET ?`,
      ),
      grant: db.prepare<[PeerRow]>(
        `INSERT INTO media_ban_list_peers (domain, granted_by, granted_at) VALUES (@domain, @granted_by, @granted_at)
         ON CONFLICT (domain) DO NOTHING`,
      ),
      revoke: db.prepare<[string]>("DELETE FROM media_ban_list_peers WHERE domain = ?"),
      grants: db.prepare<[], PeerRow>(
        "SELECT domain, granted_by, granted_at FROM media_ban_list_peers ORDER BY domain",
      ),
      granted: db.prepare<[string], number>("SELECT 1 FROM media_ban_list_peers WHERE domain = ?").pluck(),
      addToken: db.prepare<[TokenRow]>(
        `INSERT INTO media_ban_list_tokens (id, label, hash, created_by, created_at)
         VALUES (@id, @label, @hash, @created_by, @created_at)`,
      ),
      tokens: db.prepare<[], TokenRow>(
        "SELECT id, label, hash, created_by, created_at FROM media_ban_list_tokens ORDER BY created_at, id",
      ),
      revokeToken: db.prepare<[string]>("DELETE FROM media_ban_list_tokens WHERE id = ?"),
      tokenByHash: db.prepare<[string], TokenRow>(
        "SELECT id, label, hash, created_by, created_at FROM media_ban_list_tokens WHERE hash = ?",
      ),
    };
  }

  async create(list: MediaBanList): Promise<void> {
    this.s.insert.run(listToRow(list));
  }

  async get(id: string): Promise<MediaBanList | null> {
    const row = this.s.get.get(str(id, "id"));
    return row ? listFromRow(row) : null;
  }

  async list(): Promise<MediaBanList[]> {
    return this.s.list.all().map(listFromRow);
  }

  async update(id: string, patch: MediaBanListPatch): Promise<MediaBanList | null> {
    const before = await this.get(id);
    if (!before) return null;
    const after: MediaBanList = { ...before, ...patch };
    this.s.update.run(listToRow(after));
    return after;
  }

  async delete(id: string): Promise<boolean> {
    return this.s.delete.run(str(id, "id")).changes === 1;
  }

  async addAudit(e: MediaBanListAudit): Promise<void> {
    this.s.addAudit.run({
      id: str(e.id, "id"),
      at: int(e.at, "at"),
      actor: str(e.actor, "actor"),
      action: str(e.action, "action"),
      list_id: nullableStr(e.listId, "listId"),
      detail: JSON.stringify(e.detail),
    });
  }

  async audit(limit: number, offset = 0): Promise<MediaBanListAudit[]> {
    return this.s.audit.all(int(limit, "limit"), int(offset, "offset")).map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      action: r.action,
      listId: r.list_id,
      detail: JSON.parse(r.detail) as Record<string, unknown>,
    }));
  }

  async grant(g: ListPeerGrant): Promise<boolean> {
    const row = {
      domain: str(g.domain, "domain"),
      granted_by: str(g.grantedBy, "grantedBy"),
      granted_at: int(g.grantedAt, "grantedAt"),
    };
    return this.s.grant.run(row).changes === 1;
  }

  async revoke(domain: string): Promise<boolean> {
    return this.s.revoke.run(str(domain, "domain")).changes === 1;
  }

  async grants(): Promise<ListPeerGrant[]> {
    return this.s.grants.all().map((r) => ({ domain: r.domain, grantedBy: r.granted_by, grantedAt: r.granted_at }));
  }

  async isGranted(domain: string): Promise<boolean> {
    return this.s.granted.get(str(domain, "domain")) !== undefined;
  }

  async addToken(t: ListToken): Promise<void> {
    this.s.addToken.run({
      id: str(t.id, "id"),
      label: str(t.label, "label"),
      hash: str(t.hash, "hash"),
      created_by: str(t.createdBy, "createdBy"),
      created_at: int(t.createdAt, "createdAt"),
    });
  }

  async tokens(): Promise<ListToken[]> {
    return this.s.tokens.all().map(tokenFromRow);
  }

  async revokeToken(id: string): Promise<boolean> {
    return this.s.revokeToken.run(str(id, "id")).changes === 1;
  }

  async tokenByHash(hash: string): Promise<ListToken | null> {
    const row = this.s.tokenByHash.get(str(hash, "hash"));
    return row ? tokenFromRow(row) : null;
  }
}
