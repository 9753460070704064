import type { MongoClient } from "mongodb";
import { DomainError } from "../../../server/domain/errors.js";
import type {
  SeveranceEvent,
  SeveranceQuery,
  SeveranceRepository,
  SeveredRelationship,
} from "../../../server/domain/severance.js";
import { checkedSeveranceEvent, checkedSeveranceQuery, checkedSeveredRelationships } from "../../common/severance.js";
import { isDuplicateKey } from "../errors.js";
import { inTransaction } from "../transactions.js";
import type { DefederationCollections, SeveranceEventDoc } from "./documents.js";

const PROJECTION = { projection: { _id: 0 } } as const;

/**
 * Severance records on MongoDB: one document per event and one per relationship (a big domain can
 * follow many boards; the relationships would outgrow one document), written in one transaction.
 */
export class MongoSeveranceRepository implements SeveranceRepository {
  constructor(
    private readonly client: MongoClient,
    private readonly c: DefederationCollections,
  ) {}

  async record(event: SeveranceEvent, relationships: readonly SeveredRelationship[]): Promise<void> {
    const e = checkedSeveranceEvent(event);
    const rels = dedupe(checkedSeveredRelationships(e.id, relationships));
    try {
      await inTransaction(this.client, async (session) => {
        await this.c.severanceEvents.insertOne({ ...e }, { session });
        if (rels.length > 0)
          await this.c.severedRelationships.insertMany(
            rels.map((r) => ({ ...r })),
            { session },
          );
      });
    } catch (err) {
      if (isDuplicateKey(err)) throw new DomainError("conflict", "A severance event with this id exists.");
      throw err;
    }
  }

  async list(query: SeveranceQuery): Promise<SeveranceEvent[]> {
    const { limit, before, domain } = checkedSeveranceQuery(query);
    if (limit === 0) return [];
    const filter: Record<string, unknown> = {};
    if (domain !== undefined) filter["domain"] = { $eq: domain };
    if (before !== undefined) {
      const from = await this.c.severanceEvents.findOne({ id: { $eq: before } }, PROJECTION);
      if (!from) return [];
      filter["$or"] = [{ at: { $lt: from.at } }, { at: { $eq: from.at }, id: { $lt: from.id } }];
    }
    const docs = await this.c.severanceEvents.find(filter, PROJECTION).sort({ at: -1, id: -1 }).limit(limit).toArray();
    return docs.map(toEvent);
  }

  async get(id: string): Promise<SeveranceEvent | null> {
    if (typeof id !== "string") throw new DomainError("invalid", "id must be a string.");
    const d = await this.c.severanceEvents.findOne({ id: { $eq: id } }, PROJECTION);
    return d ? toEvent(d) : null;
  }

  async relationships(eventId: string): Promise<SeveredRelationship[]> {
    if (typeof eventId !== "string") throw new DomainError("invalid", "id must be a string.");
    const docs = await this.c.severedRelationships
      .find({ eventId: { $eq: eventId } }, PROJECTION)
      .sort({ board: 1, direction: 1, remoteActor: 1 })
      .toArray();
    return checkedSeveredRelationships(
      eventId,
      docs.map((d) => ({
        eventId: d.eventId,
        board: d.board,
        direction: d.direction,
        state: d.state,
        remoteActor: d.remoteActor,
        domain: d.domain,
      })),
    );
  }

  async lostByDomain(): Promise<Array<{ domain: string; follows: number }>> {
    const rows = await this.c.severanceEvents
      .aggregate<{ _id: string; follows: number }>([
        { $group: { _id: "$domain", follows: { $sum: { $add: ["$followersLost", "$followingLost"] } } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    return rows.map((r) => ({ domain: r._id, follows: r.follows }));
  }
}

function toEvent(d: SeveranceEventDoc): SeveranceEvent {
  return checkedSeveranceEvent({
    id: d.id,
    at: d.at,
    domain: d.domain,
    severity: d.severity,
    publicReason: d.publicReason,
    origin: d.origin,
    followersLost: d.followersLost,
    followingLost: d.followingLost,
  });
}

/** The SQLite adapter keeps one row per relationship key; so does this one. */
function dedupe(rels: SeveredRelationship[]): SeveredRelationship[] {
  const seen = new Map<string, SeveredRelationship>();
  for (const r of rels) {
    const key = JSON.stringify([r.board, r.direction, r.remoteActor]);
    if (!seen.has(key)) seen.set(key, r);
  }
  return [...seen.values()];
}
