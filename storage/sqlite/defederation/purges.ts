import type { PurgeRepository } from "../../../server/domain/defederation-ports.js";
import { domainArg } from "../../common/federation.js";
import { int } from "../../common/guards.js";
import type { Db } from "../database.js";

/** Scheduled purges on SQLite: one row per domain, so scheduling again moves the time. */
export class SqlitePurgeRepository implements PurgeRepository {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      schedule: db.prepare<[{ domain: string; at: number }]>(
        `INSERT INTO domain_purges (domain, at) VALUES (@domain, @at)
         ON CONFLICT (domain) DO UPDATE SET at = excluded.at`,
      ),
      delete: db.prepare<[string]>("DELETE FROM domain_purges WHERE domain = ?"),
      due: db.prepare<[number], string>("SELECT domain FROM domain_purges WHERE at <= ? ORDER BY at, domain").pluck(),
    };
  }

  async schedule(domain: string, at: number): Promise<void> {
    this.s.schedule.run({ domain: domainArg(domain), at: int(at, "at") });
  }

  async cancel(domain: string): Promise<boolean> {
    return this.s.delete.run(domainArg(domain)).changes > 0;
  }

  async due(now: number): Promise<string[]> {
    return this.s.due.all(int(now, "now"));
  }

  async done(domain: string): Promise<void> {
    this.s.delete.run(domainArg(domain));
  }
}
