import type { ActorKey, ActorKeyRepository, KeyPair } from "../../../server/domain/federation-ports.js";
import { checkedKeyPair } from "../../common/federation.js";
import { int, str } from "../../common/guards.js";
import type { Db } from "../database.js";

interface KeyRow {
  actor_id: string;
  public_key_pem: string;
  private_key_pem: string;
  created_at: number;
}

const COLUMNS = "actor_id, public_key_pem, private_key_pem, created_at";

function keyFromRow(r: KeyRow): ActorKey {
  return {
    actorId: r.actor_id,
    publicKeyPem: r.public_key_pem,
    privateKeyPem: r.private_key_pem,
    createdAt: r.created_at,
  };
}

export class SqliteActorKeyRepository implements ActorKeyRepository {
  private readonly s;
  private readonly insertTx;

  constructor(db: Db) {
    this.s = {
      get: db.prepare<[string], KeyRow>(`SELECT ${COLUMNS} FROM actor_keys WHERE actor_id = ?`),
      insertIfAbsent: db.prepare<[KeyRow]>(
        `INSERT INTO actor_keys (${COLUMNS}) VALUES (@actor_id, @public_key_pem, @private_key_pem, @created_at)
         ON CONFLICT (actor_id) DO NOTHING`,
      ),
      delete: db.prepare<[string]>("DELETE FROM actor_keys WHERE actor_id = ?"),
    };
    // Whoever inserts first wins; everyone reads back the same row.
    this.insertTx = db.transaction((row: KeyRow) => {
      this.s.insertIfAbsent.run(row);
      return this.s.get.get(row.actor_id)!;
    });
  }

  async get(actorId: string): Promise<ActorKey | null> {
    const row = this.s.get.get(str(actorId, "actorId"));
    return row ? keyFromRow(row) : null;
  }

  async getOrCreate(
    actorId: string,
    generate: () => KeyPair | Promise<KeyPair>,
    now: number = Date.now(),
  ): Promise<ActorKey> {
    const id = str(actorId, "actorId");
    const createdAt = int(now, "now");
    const existing = this.s.get.get(id);
    if (existing) return keyFromRow(existing);
    // Generating a key can take a while (and may be async): it runs outside any transaction.
    const pair = checkedKeyPair(await generate());
    return keyFromRow(
      this.insertTx.immediate({
        actor_id: id,
        public_key_pem: pair.publicKeyPem,
        private_key_pem: pair.privateKeyPem,
        created_at: createdAt,
      }),
    );
  }

  async delete(actorId: string): Promise<boolean> {
    return this.s.delete.run(str(actorId, "actorId")).changes > 0;
  }
}
