import type { Collection, Db } from "mongodb";
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

type ListDoc = MediaBanList;
interface AuditDoc extends MediaBanListAudit {
  /** Orders entries written in the same millisecond. */
  seq: number;
}
type PeerDoc = ListPeerGrant;
type TokenDoc = ListToken;

const P = { projection: { _id: 0 } } as const;

function listFromDoc(d: ListDoc): MediaBanList {
  return {
    id: d.id,
    url: d.url,
    format: d.format,
    token: d.token,
    excludes: [...d.excludes],
    createdAt: d.createdAt,
    createdBy: d.createdBy,
    lastSyncAt: d.lastSyncAt,
    lastStatus: d.lastStatus,
    lastChange: d.lastChange,
  };
}

const tokenFromDoc = (d: TokenDoc): ListToken => ({
  id: d.id,
  label: d.label,
  hash: d.hash,
  createdBy: d.createdBy,
  createdAt: d.createdAt,
});

export class MongoMediaBanLists implements MediaBanListRepository {
  private readonly lists: Collection<ListDoc>;
  private readonly audits: Collection<AuditDoc>;
  private readonly peers: Collection<PeerDoc>;
  private readonly tokenDocs: Collection<TokenDoc>;
  #seq = 0;

  constructor(db: Db) {
    this.lists = db.collection<ListDoc>("media_ban_lists");
    this.audits = db.collection<AuditDoc>("media_ban_list_audit");
    this.peers = db.collection<PeerDoc>("media_ban_list_peers");
    this.tokenDocs = db.collection<TokenDoc>("media_ban_list_tokens");
  }

  /** The indexes the queries rely on (a no-op when they exist). */
  async ensureIndexes(): Promise<void> {
    await this.lists.createIndex({ id: 1 }, { unique: true });
    await this.audits.createIndex({ at: -1, seq: -1 });
    await this.peers.createIndex({ domain: 1 }, { unique: true });
    await this.tokenDocs.createIndex({ id: 1 }, { unique: true });
    await this.tokenDocs.createIndex({ hash: 1 }, { unique: true });
  }

  async create(l: MediaBanList): Promise<void> {
    await this.lists.insertOne({
      id: str(l.id, "id"),
      url: str(l.url, "url"),
      format: str(l.format, "format") as HashListFormat,
      token: nullableStr(l.token, "token"),
      excludes: l.excludes.map((h) => str(h, "excludes")),
      createdAt: int(l.createdAt, "createdAt"),
      createdBy: str(l.createdBy, "createdBy"),
      lastSyncAt: nullableInt(l.lastSyncAt, "lastSyncAt"),
      lastStatus: nullableStr(l.lastStatus, "lastStatus"),
      lastChange: l.lastChange === null ? null : { added: l.lastChange.added, removed: l.lastChange.removed },
    });
  }

  async get(id: string): Promise<MediaBanList | null> {
    const d = await this.lists.findOne({ id: { $eq: str(id, "id") } }, P);
    return d ? listFromDoc(d) : null;
  }

  async list(): Promise<MediaBanList[]> {
    return (await this.lists.find({}, P).sort({ createdAt: 1, id: 1 }).toArray()).map(listFromDoc);
  }

  async update(id: string, patch: MediaBanListPatch): Promise<MediaBanList | null> {
    const set: Partial<ListDoc> = {};
    if (patch.excludes !== undefined) set.excludes = patch.excludes.map((h) => str(h, "excludes"));
    if (patch.lastSyncAt !== undefined) set.lastSyncAt = nullableInt(patch.lastSyncAt, "lastSyncAt");
    if (patch.lastStatus !== undefined) set.lastStatus = nullableStr(patch.lastStatus, "lastStatus");
    if (patch.lastChange !== undefined) set.lastChange = patch.lastChange;
    const d = await this.lists.findOneAndUpdate(
      { id: { $eq: str(id, "id") } },
      { $set: set },
      { ...P, returnDocument: "after" },
    );
    return d ? listFromDoc(d) : null;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.lists.deleteOne({ id: { $eq: str(id, "id") } })).deletedCount === 1;
  }

  async addAudit(e: MediaBanListAudit): Promise<void> {
    await this.audits.insertOne({
      id: str(e.id, "id"),
      at: int(e.at, "at"),
      seq: this.#seq++,
      actor: str(e.actor, "actor"),
      action: str(e.action, "action"),
      listId: nullableStr(e.listId, "listId"),
      detail: e.detail,
    });
  }

  async audit(limit: number, offset = 0): Promise<MediaBanListAudit[]> {
    const docs = await this.audits
      .find({}, P)
      .sort({ at: -1, seq: -1 })
      .skip(int(offset, "offset"))
      .limit(int(limit, "limit"))
      .toArray();
    return docs.map((d) => ({
      id: d.id,
      at: d.at,
      actor: d.actor,
      action: d.action,
      listId: d.listId,
      detail: d.detail,
    }));
  }

  async grant(g: ListPeerGrant): Promise<boolean> {
    const doc: PeerDoc = {
      domain: str(g.domain, "domain"),
      grantedBy: str(g.grantedBy, "grantedBy"),
      grantedAt: int(g.grantedAt, "grantedAt"),
    };
    const res = await this.peers.updateOne({ domain: { $eq: doc.domain } }, { $setOnInsert: doc }, { upsert: true });
    return res.upsertedCount === 1;
  }

  async revoke(domain: string): Promise<boolean> {
    return (await this.peers.deleteOne({ domain: { $eq: str(domain, "domain") } })).deletedCount === 1;
  }

  async grants(): Promise<ListPeerGrant[]> {
    const docs = await this.peers.find({}, P).sort({ domain: 1 }).toArray();
    return docs.map((d) => ({ domain: d.domain, grantedBy: d.grantedBy, grantedAt: d.grantedAt }));
  }

  async isGranted(domain: string): Promise<boolean> {
    return (await this.peers.countDocuments({ domain: { $eq: str(domain, "domain") } }, { limit: 1 })) > 0;
  }

  async addToken(t: ListToken): Promise<void> {
    await this.tokenDocs.insertOne({
      id: str(t.id, "id"),
      label: str(t.label, "label"),
      hash: str(t.hash, "hash"),
      createdBy: str(t.createdBy, "createdBy"),
      createdAt: int(t.createdAt, "createdAt"),
    });
  }

  async tokens(): Promise<ListToken[]> {
    return (await this.tokenDocs.find({}, P).sort({ createdAt: 1, id: 1 }).toArray()).map(tokenFromDoc);
  }

  async revokeToken(id: string): Promise<boolean> {
    return (await this.tokenDocs.deleteOne({ id: { $eq: str(id, "id") } })).deletedCount === 1;
  }

  async tokenByHash(hash: string): Promise<ListToken | null> {
    const d = await this.tokenDocs.findOne({ hash: { $eq: str(hash, "hash") } }, P);
    return d ? tokenFromDoc(d) : null;
  }
}
