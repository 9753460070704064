import { DomainError } from "../../../server/domain/errors.js";
import {
  type InstanceRepository,
  type InstanceSoftware,
  MAX_SOFTWARE_FIELD_LENGTH,
} from "../../../server/domain/federation-ports.js";
import { boundedError, domainArg } from "../../common/federation.js";
import { int, nullableStr, str, strList } from "../../common/guards.js";
import type { Db } from "../database.js";

interface InstanceRow {
  domain: string;
  software: string | null;
  version: string | null;
  fetched_at: number;
  last_error: string | null;
}

const COLUMNS = "domain, software, version, fetched_at, last_error";

function instanceFromRow(r: InstanceRow): InstanceSoftware {
  return {
    domain: r.domain,
    software: r.software,
    version: r.version,
    fetchedAt: r.fetched_at,
    lastError: r.last_error,
  };
}

/** Each record is one upsert statement, so lookups finishing together in two processes both land. */
export class SqliteInstanceRepository implements InstanceRepository {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      get: db.prepare<[string], InstanceRow>(`SELECT ${COLUMNS} FROM instances WHERE domain = ?`),
      // one statement for any number of domains: the list travels as one JSON array parameter
      many: db.prepare<[string], InstanceRow>(
        `SELECT ${COLUMNS} FROM instances WHERE domain IN (SELECT value FROM json_each(?)) ORDER BY domain`,
      ),
      list: db.prepare<[], InstanceRow>(`SELECT ${COLUMNS} FROM instances ORDER BY domain`),
      software: db.prepare<[{ domain: string; software: string; version: string | null; now: number }], InstanceRow>(
        `INSERT INTO instances (domain, software, version, fetched_at, last_error)
         VALUES (@domain, @software, @version, @now, NULL)
         ON CONFLICT (domain) DO UPDATE SET software = excluded.software, version = excluded.version,
           fetched_at = excluded.fetched_at, last_error = NULL
         RETURNING ${COLUMNS}`,
      ),
      failure: db.prepare<[{ domain: string; error: string; now: number }], InstanceRow>(
        `INSERT INTO instances (domain, software, version, fetched_at, last_error)
         VALUES (@domain, NULL, NULL, @now, @error)
         ON CONFLICT (domain) DO UPDATE SET fetched_at = excluded.fetched_at, last_error = excluded.last_error
         RETURNING ${COLUMNS}`,
      ),
      remove: db.prepare<[string]>("DELETE FROM instances WHERE domain = ?"),
    };
  }

  async get(domain: string): Promise<InstanceSoftware | null> {
    const row = this.s.get.get(domainArg(domain));
    return row ? instanceFromRow(row) : null;
  }

  async getMany(domains: string[]): Promise<InstanceSoftware[]> {
    const list = [...new Set(strList(domains, "domains").map((d) => domainArg(d)))];
    if (list.length === 0) return [];
    return this.s.many.all(JSON.stringify(list)).map(instanceFromRow);
  }

  async recordSoftware(
    domain: string,
    software: string,
    version: string | null,
    now: number,
  ): Promise<InstanceSoftware> {
    const name = softwareField(software, "software");
    const row = this.s.software.get({
      domain: domainArg(domain),
      software: name,
      version: nullableStr(version, "version")?.slice(0, MAX_SOFTWARE_FIELD_LENGTH) ?? null,
      now: int(now, "now"),
    })!;
    return instanceFromRow(row);
  }

  async recordFailure(domain: string, error: string, now: number): Promise<InstanceSoftware> {
    const row = this.s.failure.get({ domain: domainArg(domain), error: boundedError(error), now: int(now, "now") })!;
    return instanceFromRow(row);
  }

  async delete(domain: string): Promise<boolean> {
    return this.s.remove.run(domainArg(domain)).changes > 0;
  }

  async list(): Promise<InstanceSoftware[]> {
    return this.s.list.all().map(instanceFromRow);
  }
}

/** A software name as stored: lower case, within the length cap, never empty. */
function softwareField(value: unknown, what: string): string {
  const name = str(value, what).trim().toLowerCase().slice(0, MAX_SOFTWARE_FIELD_LENGTH);
  if (name === "") throw new DomainError("invalid", `${what} must not be empty.`);
  return name;
}
