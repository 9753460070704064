import type { AnyBulkWriteOperation, ClientSession, Collection, Filter, MongoClient } from "mongodb";
import type { BoardDomainRule, DomainAllow, DomainBlock } from "../../../server/domain/defederation/rules.js";
import type { AuditEntry, DomainRuleRepository, RuleChange } from "../../../server/domain/defederation-ports.js";
import { DomainError } from "../../../server/domain/errors.js";
import { checkedAudit, checkedAuditQuery, checkedChanges, jsonText } from "../../common/defederation.js";
import { domainArg } from "../../common/federation.js";
import { str } from "../../common/guards.js";
import { isDuplicateKey } from "../errors.js";
import { inTransaction } from "../transactions.js";
import {
  type DefederationCollections,
  type DomainAuditDoc,
  RULES_META,
  toAllow,
  toAuditEntry,
  toBlock,
  toBoardRule,
} from "./documents.js";

/** The writes of one apply on one collection, in the order the changes gave them. */
interface Batch<T extends object> {
  ops: AnyBulkWriteOperation<T>[];
  /** For each op, what a duplicate key on it means. */
  conflicts: string[];
  /** How many ops must each match one document (updates and deletes). */
  updates: number;
  deletes: number;
}

function batch<T extends object>(): Batch<T> {
  return { ops: [], conflicts: [], updates: 0, deletes: 0 };
}

function blockDoc(b: DomainBlock): DomainBlock {
  return {
    id: b.id,
    domain: b.domain,
    severity: b.severity,
    rejectMedia: b.rejectMedia,
    rejectReports: b.rejectReports,
    privateComment: b.privateComment,
    publicComment: b.publicComment,
    obfuscate: b.obfuscate,
    expiresAt: b.expiresAt,
    evidenceUrl: b.evidenceUrl,
    origin: b.origin,
    stagedSeverity: b.stagedSeverity,
    createdAt: b.createdAt,
    updatedAt: b.updatedAt,
  };
}

/** The index of the op a bulk write refused, when the error says. */
function failedIndex(e: unknown): number | null {
  const errors = (e as { writeErrors?: unknown } | null)?.writeErrors;
  const first = Array.isArray(errors) ? errors[0] : errors;
  const index = (first as { index?: unknown } | undefined)?.index;
  return typeof index === "number" ? index : null;
}

/**
 * Runs one collection's writes of an apply as a single ordered bulk write inside the transaction:
 * a duplicate key is the port's conflict, and fewer matched updates or deletes than asked for means
 * some id did not exist. Either throw aborts the whole transaction.
 */
async function runBatch<T extends object>(
  collection: Collection<T>,
  b: Batch<T>,
  session: ClientSession,
  what: string,
): Promise<void> {
  if (b.ops.length === 0) return;
  let result: { matchedCount: number; deletedCount: number };
  try {
    result = await collection.bulkWrite(b.ops, { session, ordered: true });
  } catch (e) {
    if (!isDuplicateKey(e)) throw e;
    const index = failedIndex(e);
    throw new DomainError("conflict", (index !== null ? b.conflicts[index] : undefined) ?? `A ${what} conflicts.`);
  }
  if (result.matchedCount < b.updates || result.deletedCount < b.deletes) {
    throw new DomainError("not_found", `A ${what} the changes name does not exist.`);
  }
}

/**
 * Domain rules on MongoDB. `apply` is one transaction: it first bumps the rules counter (which
 * also serialises concurrent applies: they conflict on that document and the driver retries the
 * later one), then writes each collection's changes as one ordered bulk write, then the audit
 * entries. Changes to different collections are independent, so grouping them keeps the order
 * that matters (within a collection) and turns 20,000 changes into a handful of round trips.
 */
export class MongoDomainRuleRepository implements DomainRuleRepository {
  constructor(
    private readonly client: MongoClient,
    private readonly c: DefederationCollections,
  ) {}

  async listBlocks(): Promise<DomainBlock[]> {
    return (await this.c.blocks.find({}).sort({ domain: 1 }).toArray()).map(toBlock);
  }

  async getBlock(id: string): Promise<DomainBlock | null> {
    const doc = await this.c.blocks.findOne({ id: { $eq: str(id, "id") } });
    return doc ? toBlock(doc) : null;
  }

  async getBlockByDomain(domain: string): Promise<DomainBlock | null> {
    const doc = await this.c.blocks.findOne({ domain: { $eq: domainArg(domain) } });
    return doc ? toBlock(doc) : null;
  }

  async listAllows(): Promise<DomainAllow[]> {
    return (await this.c.allows.find({}).sort({ domain: 1 }).toArray()).map(toAllow);
  }

  async getAllow(id: string): Promise<DomainAllow | null> {
    const doc = await this.c.allows.findOne({ id: { $eq: str(id, "id") } });
    return doc ? toAllow(doc) : null;
  }

  async listBoardRules(board?: string): Promise<BoardDomainRule[]> {
    const filter: Filter<BoardDomainRule> = board === undefined ? {} : { board: { $eq: str(board, "board") } };
    return (await this.c.boardRules.find(filter).sort({ board: 1, domain: 1 }).toArray()).map(toBoardRule);
  }

  async apply(changes: RuleChange[], audit: AuditEntry[]): Promise<void> {
    const checked = checkedChanges(changes);
    const entries = checkedAudit(audit);
    const blocks = batch<DomainBlock>();
    const allows = batch<DomainAllow>();
    const boardRules = batch<BoardDomainRule>();
    for (const change of checked) {
      switch (change.op) {
        case "create_block":
          blocks.ops.push({ insertOne: { document: blockDoc(change.block) } });
          blocks.conflicts.push(`${change.block.domain} already has a block.`);
          break;
        case "update_block": {
          // the id and the creation time are the record's identity: an update keeps them
          const { id, createdAt: _createdAt, ...fields } = blockDoc(change.block);
          blocks.ops.push({ updateOne: { filter: { id: { $eq: id } }, update: { $set: fields } } });
          blocks.conflicts.push(`${change.block.domain} already has a block.`);
          blocks.updates++;
          break;
        }
        case "delete_block":
          blocks.ops.push({ deleteOne: { filter: { id: { $eq: change.id } } } });
          blocks.conflicts.push("");
          blocks.deletes++;
          break;
        case "create_allow": {
          const a = change.allow;
          allows.ops.push({
            insertOne: { document: { id: a.id, domain: a.domain, comment: a.comment, createdAt: a.createdAt } },
          });
          allows.conflicts.push(`${a.domain} is already allowed.`);
          break;
        }
        case "delete_allow":
          allows.ops.push({ deleteOne: { filter: { id: { $eq: change.id } } } });
          allows.conflicts.push("");
          allows.deletes++;
          break;
        case "create_board_rule": {
          const r = change.rule;
          boardRules.ops.push({
            insertOne: {
              document: {
                id: r.id,
                board: r.board,
                domain: r.domain,
                severity: r.severity,
                rejectMedia: r.rejectMedia,
                comment: r.comment,
                createdAt: r.createdAt,
              },
            },
          });
          boardRules.conflicts.push(`/${r.board}/ already has a rule on ${r.domain}.`);
          break;
        }
        case "delete_board_rule":
          boardRules.ops.push({ deleteOne: { filter: { id: { $eq: change.id } } } });
          boardRules.conflicts.push("");
          boardRules.deletes++;
          break;
      }
    }

    await inTransaction(this.client, async (session) => {
      const meta = await this.c.meta.findOneAndUpdate(
        { name: RULES_META },
        { $inc: { version: 1, auditSeq: entries.length } },
        { session, upsert: true, returnDocument: "after" },
      );
      const lastSeq = meta?.auditSeq ?? entries.length;
      await runBatch(this.c.blocks, blocks, session, "block");
      await runBatch(this.c.allows, allows, session, "allow rule");
      await runBatch(this.c.boardRules, boardRules, session, "board rule");
      if (entries.length === 0) return;
      const first = lastSeq - entries.length + 1;
      const docs: DomainAuditDoc[] = entries.map((e, i) => ({
        id: e.id,
        seq: first + i,
        at: e.at,
        actorKind: e.actor.kind,
        actorId: e.actor.id,
        action: e.action,
        domain: e.domain,
        beforeJson: jsonText(e.before),
        afterJson: jsonText(e.after),
        reason: e.reason,
        subscriptionId: e.subscriptionId,
      }));
      try {
        await this.c.audit.insertMany(docs, { session, ordered: true });
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
        const index = failedIndex(e);
        throw new DomainError("conflict", `An audit entry with id ${docs[index ?? 0]?.id ?? ""} exists.`);
      }
    });
  }

  async version(): Promise<number> {
    const doc = await this.c.meta.findOne({ name: RULES_META });
    return doc?.version ?? 0;
  }

  async audit(query: { limit: number; before?: string; domain?: string }): Promise<AuditEntry[]> {
    const q = checkedAuditQuery(query);
    if (q.limit === 0) return [];
    const filter: Filter<DomainAuditDoc> = {};
    if (q.domain !== null) filter.domain = { $eq: q.domain };
    if (q.before !== null) {
      const cursor = await this.c.audit.findOne({ id: { $eq: q.before } }, { projection: { _id: 0, at: 1, seq: 1 } });
      // the log is append-only, so an id it does not hold was never a page boundary: nothing follows it
      if (!cursor) return [];
      filter.$or = [{ at: { $lt: cursor.at } }, { at: cursor.at, seq: { $lt: cursor.seq } }];
    }
    const docs = await this.c.audit.find(filter).sort({ at: -1, seq: -1 }).limit(q.limit).toArray();
    return docs.map(toAuditEntry);
  }
}
