import type { DomainHealth, DomainHealthRepository } from "../../../server/domain/federation-ports.js";
import { domainArg } from "../../common/federation.js";
import { int } from "../../common/guards.js";
import type { Db } from "../database.js";

interface HealthRow {
  domain: string;
  consecutive_failures: number;
  first_failure_at: number | null;
  last_failure_at: number | null;
  last_success_at: number | null;
}

const COLUMNS = "domain, consecutive_failures, first_failure_at, last_failure_at, last_success_at";

function healthFromRow(r: HealthRow): DomainHealth {
  return {
    domain: r.domain,
    consecutiveFailures: r.consecutive_failures,
    firstFailureAt: r.first_failure_at,
    lastFailureAt: r.last_failure_at,
    lastSuccessAt: r.last_success_at,
  };
}

/** Each record is one upsert statement, so concurrent reports on one domain each count. */
export class SqliteDomainHealthRepository implements DomainHealthRepository {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      get: db.prepare<[string], HealthRow>(`SELECT ${COLUMNS} FROM domain_health WHERE domain = ?`),
      list: db.prepare<[], HealthRow>(`SELECT ${COLUMNS} FROM domain_health ORDER BY domain`),
      success: db.prepare<[{ domain: string; now: number }]>(
        `INSERT INTO domain_health (domain, consecutive_failures, last_success_at) VALUES (@domain, 0, @now)
         ON CONFLICT (domain) DO UPDATE SET consecutive_failures = 0, first_failure_at = NULL,
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
    };
  }

  async get(domain: string): Promise<DomainHealth | null> {
    const row = this.s.get.get(domainArg(domain));
    return row ? healthFromRow(row) : null;
  }

  async recordSuccess(domain: string, now: number): Promise<void> {
    this.s.success.run({ domain: domainArg(domain), now: int(now, "now") });
  }

  async recordFailure(domain: string, now: number): Promise<{ consecutiveFailures: number; firstFailureAt: number }> {
    const row = this.s.failure.get({ domain: domainArg(domain), now: int(now, "now") })!;
    return { consecutiveFailures: row.consecutive_failures, firstFailureAt: row.first_failure_at };
  }

  async list(): Promise<DomainHealth[]> {
    return this.s.list.all().map(healthFromRow);
  }
}
