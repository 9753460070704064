import type { HeldActivity, HeldRepository } from "../../../server/domain/defederation-ports.js";
import { DomainError } from "../../../server/domain/errors.js";
import { checkedHeld } from "../../common/defederation.js";
import { domainArg } from "../../common/federation.js";
import { isDuplicateKey } from "../errors.js";
import type { DefederationCollections } from "./documents.js";

const PROJECTION = { projection: { _id: 0 } } as const;

function id(value: unknown, what = "id"): string {
  if (typeof value !== "string") throw new DomainError("invalid", `${what} must be a string.`);
  return value;
}

/** Held activities on MongoDB: one document each, unique by activity id. */
export class MongoHeldRepository implements HeldRepository {
  constructor(private readonly c: DefederationCollections) {}

  async add(held: HeldActivity): Promise<boolean> {
    const h = checkedHeld(held);
    try {
      await this.c.held.insertOne({ ...h });
      return true;
    } catch (e) {
      if (isDuplicateKey(e)) return false;
      throw e;
    }
  }

  async get(heldId: string): Promise<HeldActivity | null> {
    return this.c.held.findOne({ id: { $eq: id(heldId) } }, PROJECTION);
  }

  async list(board?: string): Promise<HeldActivity[]> {
    const filter = board === undefined ? {} : { board: { $eq: id(board, "board") } };
    return this.c.held.find(filter, PROJECTION).sort({ receivedAt: 1, id: 1 }).toArray();
  }

  async remove(heldId: string): Promise<boolean> {
    return (await this.c.held.deleteOne({ id: { $eq: id(heldId) } })).deletedCount > 0;
  }

  async removeByDomain(domain: string): Promise<number> {
    return (await this.c.held.deleteMany({ domain: { $eq: domainArg(domain) } })).deletedCount;
  }
}
