import { DomainError } from "../../../server/domain/errors.js";
import type {
  SeveranceEvent,
  SeveranceQuery,
  SeveranceRepository,
  SeveredRelationship,
} from "../../../server/domain/severance.js";
import { checkedSeveranceEvent, checkedSeveranceQuery, checkedSeveredRelationships } from "../../common/severance.js";
import type { Db } from "../database.js";
import { conflictOnDuplicate } from "../errors.js";

interface EventRow {
  id: string;
  at: number;
  domain: string;
  severity: string;
  public_reason: string;
  origin: string;
  followers_lost: number;
  following_lost: number;
}

interface RelationshipRow {
  event_id: string;
  board: string;
  direction: string;
  state: string;
  remote_actor: string;
  domain: string;
}

const fromEvent = (r: EventRow): SeveranceEvent =>
  checkedSeveranceEvent({
    id: r.id,
    at: r.at,
    domain: r.domain,
    severity: r.severity,
    publicReason: r.public_reason,
    origin: r.origin,
    followersLost: r.followers_lost,
    followingLost: r.following_lost,
  });

const EVENTS = "SELECT * FROM severance_events";
const OLDER = "(at, id) < (SELECT at, id FROM severance_events WHERE id = @before)";
const NEWEST = "ORDER BY at DESC, id DESC LIMIT @limit";

/** Severance records on SQLite: an event and its relationships are written in one transaction. */
export class SqliteSeveranceRepository implements SeveranceRepository {
  private readonly s;
  private readonly recordTx;

  constructor(db: Db) {
    this.s = {
      event: db.prepare<[EventRow]>(
        `INSERT INTO severance_events (id, at, domain, severity, public_reason, origin, followers_lost, following_lost)
         VALUES (@id, @at, @domain, @severity, @public_reason, @origin, @followers_lost, @following_lost)`,
      ),
      relationship: db.prepare<[RelationshipRow]>(
        `INSERT INTO severed_relationships (event_id, board, direction, state, remote_actor, domain)
         VALUES (@event_id, @board, @direction, @state, @remote_actor, @domain)
         ON CONFLICT DO NOTHING`,
      ),
      get: db.prepare<[string], EventRow>(`${EVENTS} WHERE id = ?`),
      page: db.prepare<[{ limit: number }], EventRow>(`${EVENTS} ${NEWEST}`),
      pageBefore: db.prepare<[{ limit: number; before: string }], EventRow>(`${EVENTS} WHERE ${OLDER} ${NEWEST}`),
      pageDomain: db.prepare<[{ limit: number; domain: string }], EventRow>(
        `${EVENTS} WHERE domain = @domain ${NEWEST}`,
      ),
      pageDomainBefore: db.prepare<[{ limit: number; domain: string; before: string }], EventRow>(
        `${EVENTS} WHERE domain = @domain AND ${OLDER} ${NEWEST}`,
      ),
      relationships: db.prepare<[string], RelationshipRow>(
        "SELECT * FROM severed_relationships WHERE event_id = ? ORDER BY board, direction, remote_actor",
      ),
      lost: db.prepare<[], { domain: string; follows: number }>(
        `SELECT domain, sum(followers_lost + following_lost) AS follows FROM severance_events
         GROUP BY domain ORDER BY domain`,
      ),
    };
    this.recordTx = db.transaction((e: SeveranceEvent, rels: SeveredRelationship[]) => {
      this.s.event.run({
        id: e.id,
        at: e.at,
        domain: e.domain,
        severity: e.severity,
        public_reason: e.publicReason,
        origin: e.origin,
        followers_lost: e.followersLost,
        following_lost: e.followingLost,
      });
      for (const r of rels) {
        this.s.relationship.run({
          event_id: r.eventId,
          board: r.board,
          direction: r.direction,
          state: r.state,
          remote_actor: r.remoteActor,
          domain: r.domain,
        });
      }
    });
  }

  async record(event: SeveranceEvent, relationships: readonly SeveredRelationship[]): Promise<void> {
    const e = checkedSeveranceEvent(event);
    const rels = checkedSeveredRelationships(e.id, relationships);
    conflictOnDuplicate(() => this.recordTx.immediate(e, rels), "A severance event with this id exists.");
  }

  async list(query: SeveranceQuery): Promise<SeveranceEvent[]> {
    const q = checkedSeveranceQuery(query);
    const { limit, before, domain } = q;
    const rows =
      domain === undefined
        ? before === undefined
          ? this.s.page.all({ limit })
          : this.s.pageBefore.all({ limit, before })
        : before === undefined
          ? this.s.pageDomain.all({ limit, domain })
          : this.s.pageDomainBefore.all({ limit, domain, before });
    return rows.map(fromEvent);
  }

  async get(id: string): Promise<SeveranceEvent | null> {
    if (typeof id !== "string") throw new DomainError("invalid", "id must be a string.");
    const r = this.s.get.get(id);
    return r ? fromEvent(r) : null;
  }

  async relationships(eventId: string): Promise<SeveredRelationship[]> {
    if (typeof eventId !== "string") throw new DomainError("invalid", "id must be a string.");
    return checkedSeveredRelationships(
      eventId,
      this.s.relationships.all(eventId).map((r) => ({
        eventId: r.event_id,
        board: r.board,
        direction: r.direction,
        state: r.state,
        remoteActor: r.remote_actor,
        domain: r.domain,
      })),
    );
  }

  async lostByDomain(): Promise<Array<{ domain: string; follows: number }>> {
    return this.s.lost.all().map((r) => ({ domain: r.domain, follows: r.follows }));
  }
}
