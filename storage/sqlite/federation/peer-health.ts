import type { PeerHealthRecord, PeerHealthRepository } from "../../../server/domain/federation-ports.js";
import { domainArg } from "../../common/federation.js";
import { int } from "../../common/guards.js";
import type { Db } from "../database.js";

interface HealthRow {
  domain: string;
  consecutive_failures: number;
  first_failure_at: number | null;
  last_failure_at: number | null;
  last_success_at: number | null;
  next_probe_at: number | null;
}

const COLUMNS = "domain, consecutive_failures, first_failure_at, last_failure_at, last_success_at, next_probe_at";

function healthFromRow(r: HealthRow): PeerHealthRecord {
  return {
    domain: r.domain,
    consecutiveFailures: r.consecutive_failures,
    firstFailureAt: r.first_failure_at,
    lastFailureAt: r.last_failure_at,
    lastSuccessAt: r.last_success_at,
    nextProbeAt: r.next_probe_at,
  };
}

/**
 * Each record is one upsert statement, so concurrent reports on one domain each count; a success
 * reads the run it ends in the same IMMEDIATE transaction, so two successes never both end it.
 */
export class SqlitePeerHealthRepository implements PeerHealthRepository {
  private readonly s;
  private readonly succeed;

  constructor(db: Db) {
    this.s = {
      get: db.prepare<[string], HealthRow>(`SELECT ${COLUMNS} FROM domain_health WHERE domain = ?`),
      list: db.prepare<[], HealthRow>(`SELECT ${COLUMNS} FROM domain_health ORDER BY domain`),
      failing: db
        .prepare<[], string>(
          `SELECT domain FROM domain_health INDEXED BY domain_health_failing
           WHERE first_failure_at IS NOT NULL ORDER BY domain`,
        )
        .pluck(),
      success: db.prepare<[{ domain: string; now: number }]>(
        `INSERT INTO domain_health (domain, consecutive_failures, last_success_at) VALUES (@domain, 0, @now)
         ON CONFLICT (domain) DO UPDATE SET consecutive_failures = 0, first_failure_at = NULL, next_probe_at = NULL,
           last_success_at = max(coalesce(last_success_at, 0), excluded.last_success_at)`,
      ),
      failure: db.prepare<
        [{ domain: string; now: number }],
        { consecutive_failures: number; first_failure_at: number }
      >(
        `INSERT INTO domain_health (domain, consecutive_failures, first_failure_at, last_failure_at)
         VALUES (@domain, 1, @now, @now)
         ON CONFLICT (domain) DO UPDATE SET consecutive_failures = consecutive_failures + 1,
           first_failure_at = coalesce(first_failure_at, excluded.first_failure_at),
           last_failure_at = max(coalesce(last_failure_at, 0), excluded.last_failure_at)
         RETURNING consecutive_failures, first_failure_at`,
      ),
      takeProbe: db.prepare<[{ domain: string; now: number; until: number }]>(
        `UPDATE domain_health SET next_probe_at = @until
         WHERE domain = @domain AND (next_probe_at IS NULL OR next_probe_at <= @now)`,
      ),
      deferProbe: db.prepare<[{ domain: string; at: number }]>(
        "UPDATE domain_health SET next_probe_at = @at WHERE domain = @domain AND first_failure_at IS NOT NULL",
      ),
    };
    const s = this.s;
    this.succeed = db.transaction((domain: string, now: number): PeerHealthRecord | null => {
      const before = s.get.get(domain);
      s.success.run({ domain, now });
      return before && before.first_failure_at !== null ? healthFromRow(before) : null;
    });
  }

  async get(domain: string): Promise<PeerHealthRecord | null> {
    const row = this.s.get.get(domainArg(domain));
    return row ? healthFromRow(row) : null;
  }

  async recordSuccess(domain: string, now: number): Promise<PeerHealthRecord | null> {
    return this.succeed.immediate(domainArg(domain), int(now, "now"));
  }

  async recordFailure(domain: string, now: number): Promise<{ consecutiveFailures: number; firstFailureAt: number }> {
    const row = this.s.failure.get({ domain: domainArg(domain), now: int(now, "now") })!;
    return { consecutiveFailures: row.consecutive_failures, firstFailureAt: row.first_failure_at };
  }

  async takeProbe(domain: string, now: number, until: number): Promise<boolean> {
    const params = { domain: domainArg(domain), now: int(now, "now"), until: int(until, "until") };
    return this.s.takeProbe.run(params).changes > 0;
  }

  async deferProbe(domain: string, at: number): Promise<void> {
    this.s.deferProbe.run({ domain: domainArg(domain), at: int(at, "at") });
  }

  async list(): Promise<PeerHealthRecord[]> {
    return this.s.list.all().map(healthFromRow);
  }

  async failing(): Promise<string[]> {
    return this.s.failing.all();
  }
}
