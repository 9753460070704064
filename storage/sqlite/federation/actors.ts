import type { RemoteActor, RemoteActorRepository } from "../../../server/domain/federation-ports.js";
import { checkedRemoteActor, domainArg } from "../../common/federation.js";
import { str } from "../../common/guards.js";
import type { Db } from "../database.js";

interface ActorRow {
  id: string;
  type: string;
  inbox: string;
  shared_inbox: string | null;
  preferred_username: string | null;
  name: string | null;
  summary: string | null;
  url: string | null;
  icon_url: string | null;
  followers: string | null;
  key_id: string;
  public_key_pem: string;
  domain: string;
  fetched_at: number;
  raw: string;
}

const COLUMNS =
  "id, type, inbox, shared_inbox, preferred_username, name, summary, url, icon_url, followers, key_id, public_key_pem, domain, fetched_at, raw";
const PARAMS = COLUMNS.split(", ")
  .map((c) => `@${c}`)
  .join(", ");
const UPDATES = COLUMNS.split(", ")
  .filter((c) => c !== "id")
  .map((c) => `${c} = excluded.${c}`)
  .join(", ");

function actorFromRow(r: ActorRow): RemoteActor {
  return {
    id: r.id,
    type: r.type,
    inbox: r.inbox,
    sharedInbox: r.shared_inbox,
    preferredUsername: r.preferred_username,
    name: r.name,
    summary: r.summary,
    url: r.url,
    iconUrl: r.icon_url,
    followers: r.followers,
    keyId: r.key_id,
    publicKeyPem: r.public_key_pem,
    domain: r.domain,
    fetchedAt: r.fetched_at,
    raw: r.raw,
  };
}

function actorToRow(a: RemoteActor): ActorRow {
  return {
    id: a.id,
    type: a.type,
    inbox: a.inbox,
    shared_inbox: a.sharedInbox,
    preferred_username: a.preferredUsername,
    name: a.name,
    summary: a.summary,
    url: a.url,
    icon_url: a.iconUrl,
    followers: a.followers,
    key_id: a.keyId,
    public_key_pem: a.publicKeyPem,
    domain: a.domain,
    fetched_at: a.fetchedAt,
    raw: a.raw,
  };
}

export class SqliteRemoteActorRepository implements RemoteActorRepository {
  private readonly s;
  private readonly upsertTx;

  constructor(db: Db) {
    this.s = {
      get: db.prepare<[string], ActorRow>(`SELECT ${COLUMNS} FROM remote_actors WHERE id = ?`),
      byKeyId: db.prepare<[string], ActorRow>(`SELECT ${COLUMNS} FROM remote_actors WHERE key_id = ?`),
      byDomain: db.prepare<[string], ActorRow>(`SELECT ${COLUMNS} FROM remote_actors WHERE domain = ? ORDER BY id`),
      evictKeyHolder: db.prepare<[string, string]>("DELETE FROM remote_actors WHERE key_id = ? AND id <> ?"),
      upsert: db.prepare<[ActorRow]>(
        `INSERT INTO remote_actors (${COLUMNS}) VALUES (${PARAMS}) ON CONFLICT (id) DO UPDATE SET ${UPDATES}`,
      ),
      delete: db.prepare<[string]>("DELETE FROM remote_actors WHERE id = ?"),
    };
    this.upsertTx = db.transaction((row: ActorRow) => {
      this.s.evictKeyHolder.run(row.key_id, row.id);
      this.s.upsert.run(row);
    });
  }

  async get(id: string): Promise<RemoteActor | null> {
    const row = this.s.get.get(str(id, "id"));
    return row ? actorFromRow(row) : null;
  }

  async getByKeyId(keyId: string): Promise<RemoteActor | null> {
    const row = this.s.byKeyId.get(str(keyId, "keyId"));
    return row ? actorFromRow(row) : null;
  }

  async upsert(actor: RemoteActor): Promise<void> {
    this.upsertTx.immediate(actorToRow(checkedRemoteActor(actor)));
  }

  async delete(id: string): Promise<boolean> {
    return this.s.delete.run(str(id, "id")).changes > 0;
  }

  async listByDomain(domain: string): Promise<RemoteActor[]> {
    return this.s.byDomain.all(domainArg(domain)).map(actorFromRow);
  }
}
