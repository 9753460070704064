import { DomainError } from "../../server/domain/errors.js";
import type { UserRepository } from "../../server/domain/ports.js";
import { hasTwoFactor, ROLES, type Role, type StaffTotp, type StaffUser } from "../../server/domain/staff.js";
import { checkedTotp, checkedUserPatch, int, str, strList, type UserPatch } from "../common/guards.js";
import type { Db } from "./database.js";
import { conflictOnDuplicate } from "./errors.js";

interface UserRow {
  username: string;
  password_hash: string;
  role: string;
  boards: string;
  created_at: number;
}

const COLUMNS = "username, password_hash, role, boards, created_at";
const READ_COLUMNS = `${COLUMNS}, public_name, totp`;

type ReadRow = UserRow & { public_name: string | null; totp: string | null };

function parseBoards(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((b): b is string => typeof b === "string") : [];
  } catch {
    return [];
  }
}

/** The stored two-factor record; one that does not parse counts as none rather than failing sign-in for good. */
function parseTotp(json: string | null): StaffTotp | null {
  if (json === null) return null;
  try {
    return checkedTotp(JSON.parse(json));
  } catch {
    return null;
  }
}

function userFromRow(r: ReadRow): StaffUser {
  const totp = parseTotp(r.totp);
  return {
    username: r.username,
    passwordHash: r.password_hash,
    role: r.role as Role,
    boards: parseBoards(r.boards),
    createdAt: r.created_at,
    ...(r.public_name !== null ? { publicName: r.public_name } : {}),
    ...(totp ? { totp } : {}),
  };
}

export class SqliteUserRepository implements UserRepository {
  private readonly s;
  private readonly deleteTx;
  private readonly changeTotpTx;

  constructor(db: Db) {
    this.s = {
      insert: db.prepare<[UserRow]>(
        `INSERT INTO users (${COLUMNS}) VALUES (@username, @password_hash, @role, @boards, @created_at)`,
      ),
      get: db.prepare<[string], ReadRow>(`SELECT ${READ_COLUMNS} FROM users WHERE username = ?`),
      list: db.prepare<[], ReadRow>(`SELECT ${READ_COLUMNS} FROM users ORDER BY username`),
      update: db.prepare<
        [
          {
            username: string;
            password_hash: string | null;
            role: string | null;
            boards: string | null;
            set_public_name: number;
            public_name: string | null;
            set_totp: number;
            totp: string | null;
          },
        ]
      >(
        `UPDATE users SET password_hash = coalesce(@password_hash, password_hash), role = coalesce(@role, role),
           boards = coalesce(@boards, boards),
           public_name = CASE WHEN @set_public_name = 1 THEN @public_name ELSE public_name END,
           totp = CASE WHEN @set_totp = 1 THEN @totp ELSE totp END
         WHERE username = @username`,
      ),
      getTotp: db.prepare<[string], { totp: string | null }>("SELECT totp FROM users WHERE username = ?"),
      setTotp: db.prepare<[string, string]>("UPDATE users SET totp = ? WHERE username = ?"),
      delete: db.prepare<[string]>("DELETE FROM users WHERE username = ?"),
      deleteSessions: db.prepare<[string]>("DELETE FROM sessions WHERE username = ?"),
    };
    // A deleted account must not stay logged in anywhere.
    this.deleteTx = db.transaction((username: string) => {
      this.s.deleteSessions.run(username);
      return this.s.delete.run(username).changes > 0;
    });
    // Read and written in one transaction, so two requests cannot both spend the same code.
    this.changeTotpTx = db.transaction((username: string, change: (t: StaffTotp) => StaffTotp | null) => {
      const current = parseTotp(this.s.getTotp.get(username)?.totp ?? null);
      const next = current && hasTwoFactor({ totp: current }) ? change(current) : null;
      if (next === null) return false;
      this.s.setTotp.run(JSON.stringify(next), username);
      return true;
    });
  }

  async create(user: StaffUser): Promise<void> {
    if (!ROLES.includes(user.role)) throw new DomainError("invalid", "Unknown role.");
    const row: UserRow = {
      username: str(user.username, "username"),
      password_hash: str(user.passwordHash, "passwordHash"),
      role: user.role,
      boards: JSON.stringify(strList(user.boards ?? [], "boards")),
      created_at: int(user.createdAt, "createdAt"),
    };
    conflictOnDuplicate(() => this.s.insert.run(row), `The user "${user.username}" already exists.`);
    if (user.publicName !== undefined) {
      await this.update(row.username, { publicName: str(user.publicName, "publicName") });
    }
    if (user.totp !== undefined) await this.update(row.username, { totp: user.totp });
  }

  async get(username: string): Promise<StaffUser | null> {
    const row = this.s.get.get(str(username, "username"));
    return row ? userFromRow(row) : null;
  }

  async list(): Promise<StaffUser[]> {
    return this.s.list.all().map(userFromRow);
  }

  async update(username: string, patch: UserPatch): Promise<boolean> {
    const p = checkedUserPatch(patch);
    return (
      this.s.update.run({
        username: str(username, "username"),
        password_hash: p.passwordHash ?? null,
        role: p.role ?? null,
        boards: p.boards ? JSON.stringify(p.boards) : null,
        set_public_name: p.publicName !== undefined ? 1 : 0,
        public_name: p.publicName ?? null,
        set_totp: p.totp !== undefined ? 1 : 0,
        totp: p.totp ? JSON.stringify(p.totp) : null,
      }).changes > 0
    );
  }

  async useTotpStep(username: string, step: number): Promise<boolean> {
    const at = int(step, "step");
    return this.changeTotpTx.immediate(str(username, "username"), (t) =>
      t.lastStep < at ? { ...t, lastStep: at } : null,
    );
  }

  async useRecoveryCode(username: string, hash: string): Promise<boolean> {
    const h = str(hash, "hash");
    return this.changeTotpTx.immediate(str(username, "username"), (t) =>
      t.recoveryHashes.includes(h) ? { ...t, recoveryHashes: t.recoveryHashes.filter((x) => x !== h) } : null,
    );
  }

  async delete(username: string): Promise<boolean> {
    return this.deleteTx.immediate(str(username, "username"));
  }
}
