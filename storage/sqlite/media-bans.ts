import type { MediaBan, MediaBanKind, MediaBanRepository } from "../../server/domain/media-safety/media-bans.js";
import { int, nullableInt, str } from "../common/guards.js";
import type { Db } from "./database.js";

interface Row {
  id: string;
  kind: string;
  hash: string;
  distance: number | null;
  reason: string;
  created_by: string;
  created_at: number;
  source: string;
}

const COLUMNS = "id, kind, hash, distance, reason, created_by, created_at, source";

function fromRow(r: Row): MediaBan {
  return {
    id: r.id,
    kind: r.kind as MediaBanKind,
    hash: r.hash,
    distance: r.distance,
    reason: r.reason,
    createdBy: r.created_by,
    createdAt: r.created_at,
    source: r.source,
  };
}

function toRow(ban: MediaBan): Row {
  return {
    id: str(ban.id, "id"),
    kind: str(ban.kind, "kind"),
    hash: str(ban.hash, "hash"),
    distance: nullableInt(ban.distance, "distance"),
    reason: str(ban.reason, "reason"),
    created_by: str(ban.createdBy, "createdBy"),
    created_at: int(ban.createdAt, "createdAt"),
    source: str(ban.source, "source"),
  };
}

export class SqliteMediaBans implements MediaBanRepository {
  private readonly s;
  private readonly addTx;
  private readonly deleteTx;
  private readonly replaceTx;

  constructor(db: Db) {
    this.s = {
      insert: db.prepare<[Row]>(
        `INSERT INTO media_bans (${COLUMNS})
         VALUES (@id, @kind, @hash, @distance, @reason, @created_by, @created_at, @source)
         ON CONFLICT (kind, hash, source) DO NOTHING`,
      ),
      get: db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM media_bans WHERE id = ?`),
      find: db.prepare<[string, string, string], Row>(
        `SELECT ${COLUMNS} FROM media_bans WHERE kind = ? AND hash = ? AND source = ?`,
      ),
      list: db.prepare<[], Row>(`SELECT ${COLUMNS} FROM media_bans ORDER BY created_at DESC, id`),
      remove: db.prepare<[string]>("DELETE FROM media_bans WHERE id = ?"),
      bySource: db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM media_bans WHERE source = ?`),
      revise: db.prepare<[number | null, string, string]>(
        "UPDATE media_bans SET distance = ?, reason = ? WHERE id = ?",
      ),
      bump: db.prepare<[]>("UPDATE media_bans_version SET version = version + 1 WHERE id = 1"),
      version: db.prepare<[], number>("SELECT version FROM media_bans_version WHERE id = 1").pluck(),
    };
    // The ban and the version move together, so a process that sees the new version sees the ban.
    this.addTx = db.transaction((row: Row) => {
      const added = this.s.insert.run(row).changes === 1;
      if (added) this.s.bump.run();
      return added;
    });
    this.deleteTx = db.transaction((id: string) => {
      const row = this.s.get.get(id);
      if (!row) return null;
      this.s.remove.run(id);
      this.s.bump.run();
      return fromRow(row);
    });
    this.replaceTx = db.transaction((source: string, rows: Row[]) => {
      const held = new Map(this.s.bySource.all(source).map((r) => [`${r.kind}:${r.hash}`, r]));
      const added: MediaBan[] = [];
      let changed = false;
      for (const row of rows) {
        if (row.source !== source) throw new TypeError("replaceSource: a ban of another source");
        const key = `${row.kind}:${row.hash}`;
        const kept = held.get(key);
        if (kept) {
          held.delete(key);
          if (kept.distance !== row.distance || kept.reason !== row.reason) {
            this.s.revise.run(row.distance, row.reason, kept.id);
            changed = true;
          }
        } else if (this.s.insert.run(row).changes === 1) added.push(fromRow(row));
      }
      for (const r of held.values()) this.s.remove.run(r.id);
      if (added.length > 0 || held.size > 0 || changed) this.s.bump.run();
      return { added, removed: [...held.values()].map(fromRow) };
    });
  }

  async replaceSource(source: string, bans: readonly MediaBan[]): Promise<{ added: MediaBan[]; removed: MediaBan[] }> {
    const rows = bans.map(toRow);
    return this.replaceTx.immediate(str(source, "source"), rows);
  }

  async add(ban: MediaBan): Promise<boolean> {
    return this.addTx.immediate(toRow(ban));
  }

  async get(id: string): Promise<MediaBan | null> {
    const row = this.s.get.get(str(id, "id"));
    return row ? fromRow(row) : null;
  }

  async find(kind: MediaBanKind, hash: string, source: string): Promise<MediaBan | null> {
    const row = this.s.find.get(str(kind, "kind"), str(hash, "hash"), str(source, "source"));
    return row ? fromRow(row) : null;
  }

  async list(): Promise<MediaBan[]> {
    return this.s.list.all().map(fromRow);
  }

  async delete(id: string): Promise<MediaBan | null> {
    return this.deleteTx.immediate(str(id, "id"));
  }

  async version(): Promise<number> {
    return this.s.version.get() ?? 0;
  }
}
