import type { Db } from "mongodb";
import type { PeerDomain } from "../../../server/domain/defederation/probation.js";
import type { PeerDomainRepository } from "../../../server/domain/defederation-ports.js";
import { checkedPeer } from "../../common/defederation.js";
import { domainArg } from "../../common/federation.js";
import { FEDERATION_COLLECTIONS } from "../federation/documents.js";
import type { DefederationCollections } from "./documents.js";

const PROJECTION = { projection: { _id: 0 } } as const;

/** The meta document recording that the hosts known before probation existed were recorded. */
const SEEDED_META = "peers_seeded";

/** Remote hosts seen and their probation on MongoDB: one document per host, unique by domain. */
export class MongoPeerDomainRepository implements PeerDomainRepository {
  constructor(private readonly c: DefederationCollections) {}

  async firstSeen(peer: PeerDomain): Promise<{ peer: PeerDomain; created: boolean }> {
    const p = checkedPeer(peer);
    const res = await this.c.peers.updateOne(
      { domain: { $eq: p.domain } },
      { $setOnInsert: { ...p } },
      { upsert: true },
    );
    if (res.upsertedCount > 0) return { peer: p, created: true };
    return { peer: (await this.get(p.domain)) ?? p, created: false };
  }

  async get(domain: string): Promise<PeerDomain | null> {
    return this.c.peers.findOne({ domain: { $eq: domainArg(domain) } }, PROJECTION);
  }

  async put(peer: PeerDomain): Promise<void> {
    const p = checkedPeer(peer);
    await this.c.peers.replaceOne({ domain: { $eq: p.domain } }, { ...p }, { upsert: true });
  }

  async listRunning(): Promise<PeerDomain[]> {
    return this.c.peers
      .find({ probationStart: { $ne: null }, probationEnd: { $eq: null } }, PROJECTION)
      .sort({ probationStart: 1, domain: 1 })
      .toArray();
  }
}

/**
 * Records, once per database, every host the instance exchanged anything with before probation
 * existed (cached actors, follows, deliveries queued or dropped, health and NodeInfo records) as
 * known, without probation: the MongoDB counterpart of SQLite migration 17. Safe to run twice at once.
 */
export async function seedKnownPeers(db: Db, c: DefederationCollections, now: number): Promise<void> {
  if (await c.meta.findOne({ name: { $eq: SEEDED_META } })) return;
  const n = FEDERATION_COLLECTIONS;
  const domains = new Set<string>();
  for (const name of [
    n.remoteActors,
    n.follows,
    n.deliveries,
    n.deliveryInboxes,
    n.droppedDeliveries,
    n.domainHealth,
    n.instances,
  ]) {
    for (const d of await db.collection(name).distinct("domain")) if (typeof d === "string" && d !== "") domains.add(d);
  }
  const ops = [...domains].map((domain) => ({
    updateOne: {
      filter: { domain: { $eq: domain } },
      update: {
        $setOnInsert: { domain, firstSeenAt: now, probationStart: null, probationEnd: null, endedBy: null },
      },
      upsert: true,
    },
  }));
  for (let i = 0; i < ops.length; i += 1000) await c.peers.bulkWrite(ops.slice(i, i + 1000), { ordered: false });
  await c.meta.updateOne({ name: { $eq: SEEDED_META } }, { $set: { name: SEEDED_META } }, { upsert: true });
}
