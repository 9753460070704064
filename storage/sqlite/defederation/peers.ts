import type { PeerDomain } from "../../../server/domain/defederation/probation.js";
import type { PeerDomainRepository } from "../../../server/domain/defederation-ports.js";
import { checkedPeer } from "../../common/defederation.js";
import { domainArg } from "../../common/federation.js";
import type { Db } from "../database.js";

interface Row {
  domain: string;
  first_seen_at: number;
  probation_start: number | null;
  probation_end: number | null;
  ended_by: string | null;
}

const fromRow = (r: Row): PeerDomain => ({
  domain: r.domain,
  firstSeenAt: r.first_seen_at,
  probationStart: r.probation_start,
  probationEnd: r.probation_end,
  endedBy: r.ended_by === "vouch" || r.ended_by === "expiry" ? r.ended_by : null,
});

const toRow = (p: PeerDomain): Row => ({
  domain: p.domain,
  first_seen_at: p.firstSeenAt,
  probation_start: p.probationStart,
  probation_end: p.probationEnd,
  ended_by: p.endedBy,
});

const COLUMNS = "domain, first_seen_at, probation_start, probation_end, ended_by";
const VALUES = "@domain, @first_seen_at, @probation_start, @probation_end, @ended_by";

/** Remote hosts seen and their probation, on SQLite (migration 17). */
export class SqlitePeerDomainRepository implements PeerDomainRepository {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      insert: db.prepare<[Row]>(`INSERT INTO peer_domains (${COLUMNS}) VALUES (${VALUES}) ON CONFLICT DO NOTHING`),
      put: db.prepare<[Row]>(
        `INSERT INTO peer_domains (${COLUMNS}) VALUES (${VALUES})
         ON CONFLICT (domain) DO UPDATE SET first_seen_at = excluded.first_seen_at,
           probation_start = excluded.probation_start, probation_end = excluded.probation_end,
           ended_by = excluded.ended_by`,
      ),
      get: db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM peer_domains WHERE domain = ?`),
      running: db.prepare<[], Row>(
        `SELECT ${COLUMNS} FROM peer_domains WHERE probation_start IS NOT NULL AND probation_end IS NULL
         ORDER BY probation_start, domain`,
      ),
    };
  }

  async firstSeen(peer: PeerDomain): Promise<{ peer: PeerDomain; created: boolean }> {
    const p = checkedPeer(peer);
    const created = this.s.insert.run(toRow(p)).changes > 0;
    if (created) return { peer: p, created };
    const row = this.s.get.get(p.domain);
    return { peer: row ? fromRow(row) : p, created };
  }

  async get(domain: string): Promise<PeerDomain | null> {
    const row = this.s.get.get(domainArg(domain));
    return row ? fromRow(row) : null;
  }

  async put(peer: PeerDomain): Promise<void> {
    this.s.put.run(toRow(checkedPeer(peer)));
  }

  async listRunning(): Promise<PeerDomain[]> {
    return this.s.running.all().map(fromRow);
  }
}
