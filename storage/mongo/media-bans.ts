import type { Collection, Db } from "mongodb";
import type { MediaBan, MediaBanKind, MediaBanRepository } from "../../server/domain/media-safety/media-bans.js";
import { int, nullableInt, str } from "../common/guards.js";

type MediaBanDoc = MediaBan;
interface VersionDoc {
  _id: string;
  version: number;
}

const VERSION_ID = "media_bans";

function fromDoc(d: MediaBanDoc): MediaBan {
  return {
    id: d.id,
    kind: d.kind,
    hash: d.hash,
    distance: d.distance,
    reason: d.reason,
    createdBy: d.createdBy,
    createdAt: d.createdAt,
    source: d.source,
  };
}

function toDoc(ban: MediaBan): MediaBanDoc {
  return {
    id: str(ban.id, "id"),
    kind: str(ban.kind, "kind") as MediaBanKind,
    hash: str(ban.hash, "hash"),
    distance: nullableInt(ban.distance, "distance"),
    reason: str(ban.reason, "reason"),
    createdBy: str(ban.createdBy, "createdBy"),
    createdAt: int(ban.createdAt, "createdAt"),
    source: str(ban.source, "source"),
  };
}

export class MongoMediaBans implements MediaBanRepository {
  private readonly c: Collection<MediaBanDoc>;
  private readonly versions: Collection<VersionDoc>;

  constructor(db: Db) {
    this.c = db.collection<MediaBanDoc>("media_bans");
    this.versions = db.collection<VersionDoc>("media_bans_version");
  }

  /** The indexes the queries rely on (a no-op when they exist). */
  async ensureIndexes(): Promise<void> {
    await this.c.createIndex({ id: 1 }, { unique: true });
    await this.c.createIndex({ kind: 1, hash: 1, source: 1 }, { unique: true });
    await this.c.createIndex({ createdAt: -1 });
  }

  async add(ban: MediaBan): Promise<boolean> {
    const doc = toDoc(ban);
    // An upsert that only inserts: the same hash from the same source keeps its first record.
    const res = await this.c.updateOne(
      { kind: { $eq: doc.kind }, hash: { $eq: doc.hash }, source: { $eq: doc.source } },
      { $setOnInsert: doc },
      { upsert: true },
    );
    if (res.upsertedCount !== 1) return false;
    // Bumped after the write, so a process that sees the new version finds the ban.
    await this.bump();
    return true;
  }

  async get(id: string): Promise<MediaBan | null> {
    const d = await this.c.findOne({ id: { $eq: str(id, "id") } }, { projection: { _id: 0 } });
    return d ? fromDoc(d) : null;
  }

  async find(kind: MediaBanKind, hash: string, source: string): Promise<MediaBan | null> {
    const d = await this.c.findOne(
      {
        kind: { $eq: str(kind, "kind") as MediaBanKind },
        hash: { $eq: str(hash, "hash") },
        source: { $eq: str(source, "source") },
      },
      { projection: { _id: 0 } },
    );
    return d ? fromDoc(d) : null;
  }

  async list(): Promise<MediaBan[]> {
    const docs = await this.c
      .find({}, { projection: { _id: 0 } })
      .sort({ createdAt: -1, id: 1 })
      .toArray();
    return docs.map(fromDoc);
  }

  async delete(id: string): Promise<MediaBan | null> {
    const d = await this.c.findOneAndDelete({ id: { $eq: str(id, "id") } }, { projection: { _id: 0 } });
    if (!d) return null;
    await this.bump();
    return fromDoc(d);
  }

  /**
   * Not one transaction: the additions go in before the removals, so a check running meanwhile sees
   * the list's old and new entries together rather than neither; the version moves after both.
   */
  async replaceSource(source: string, bans: readonly MediaBan[]): Promise<{ added: MediaBan[]; removed: MediaBan[] }> {
    const src = str(source, "source");
    const docs = bans.map(toDoc);
    if (docs.some((d) => d.source !== src)) throw new TypeError("replaceSource: a ban of another source");
    const heldDocs = await this.c.find({ source: { $eq: src } }, { projection: { _id: 0 } }).toArray();
    const held = new Map(heldDocs.map((d) => [`${d.kind}:${d.hash}`, d]));
    const added: MediaBan[] = [];
    let changed = false;
    for (const doc of docs) {
      const key = `${doc.kind}:${doc.hash}`;
      const kept = held.get(key);
      if (kept) {
        held.delete(key);
        if (kept.distance !== doc.distance || kept.reason !== doc.reason) {
          await this.c.updateOne({ id: { $eq: kept.id } }, { $set: { distance: doc.distance, reason: doc.reason } });
          changed = true;
        }
        continue;
      }
      const res = await this.c.updateOne(
        { kind: { $eq: doc.kind }, hash: { $eq: doc.hash }, source: { $eq: src } },
        { $setOnInsert: doc },
        { upsert: true },
      );
      if (res.upsertedCount === 1) added.push(fromDoc(doc));
    }
    const removed = [...held.values()].map(fromDoc);
    if (removed.length > 0) await this.c.deleteMany({ id: { $in: removed.map((b) => b.id) } });
    if (added.length > 0 || removed.length > 0 || changed) await this.bump();
    return { added, removed };
  }

  async version(): Promise<number> {
    const d = await this.versions.findOne({ _id: { $eq: VERSION_ID } });
    return d?.version ?? 0;
  }

  private async bump(): Promise<void> {
    await this.versions.updateOne({ _id: { $eq: VERSION_ID } }, { $inc: { version: 1 } }, { upsert: true });
  }
}
