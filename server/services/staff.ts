import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { hash, verify } from "@node-rs/argon2";
import { isBoardUri } from "../domain/board.js";
import { DomainError } from "../domain/errors.js";
import { checkPublicName } from "../domain/moderation-log.js";
import type { Store } from "../domain/ports.js";
import { type ApiToken, can, ROLES, type Role, type StaffUser } from "../domain/staff.js";
import type { Clock } from "./clock.js";

export interface StaffDeps {
  store: Store;
  clock: Clock;
  /** The ADMIN_TOKEN of the configuration, accepted as a bearer token beside minted ones. */
  adminToken: string | null;
}

/** How long a signed-in session lasts. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
export const TOKEN_PREFIX = "atoll_";
export const USERNAME_PATTERN = /^[a-z0-9_]{2,32}$/;
export const MIN_PASSWORD_LENGTH = 10;
/** Argon2 hashes only the first bytes it is given anyway; a cap keeps a huge body from costing CPU. */
export const MAX_PASSWORD_LENGTH = 1024;
const MAX_LABEL_LENGTH = 100;

/** Who performs a staff action: a signed-in user, or the admin API. */
export type Actor = Pick<StaffUser, "username" | "role" | "boards" | "publicName">;

/** Admin-API callers act as this synthetic admin; no account may take its name. */
export const API_ACTOR: Actor = Object.freeze({ username: "api", role: "admin", boards: [] as string[] });

/** Board roles are scoped to the boards listed on the user; the others are instance-wide. */
export function isBoardRole(role: Role): boolean {
  return role === "board_owner" || role === "board_volunteer";
}

/** A staff user as shown to other staff: everything but the password hash and the two-factor record. */
export type PublicStaffUser = Omit<StaffUser, "passwordHash" | "totp">;

export function publicUser(u: StaffUser): PublicStaffUser {
  return {
    username: u.username,
    role: u.role,
    boards: [...u.boards],
    createdAt: u.createdAt,
    ...(u.publicName !== undefined ? { publicName: u.publicName } : {}),
  };
}

export interface UserPatch {
  password?: string;
  role?: Role;
  boards?: string[];
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("base64url");
}

/** Compares two secrets in time that depends on neither (both are hashed to equal lengths first). */
function secretEquals(a: string, b: string): boolean {
  return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
}

/**
 * Staff accounts, their sessions and the admin API's bearer tokens. Passwords are argon2id hashes;
 * session cookies and API tokens are random values of which only a sha256 is stored, so a copy of
 * the database signs no one in.
 */
function requireBoardManager(by: Actor, board: string): void {
  if (!isBoardUri(board) || !can(by, "manage_board", board)) {
    throw new DomainError("forbidden", `Only a manager of /${board}/ can change its volunteers.`);
  }
}

export class StaffService {
  /** A hash of a random password, verified when a name is unknown so that both cases cost the same. */
  private dummyHash: Promise<string> | null = null;

  constructor(private readonly deps: StaffDeps) {}

  async createUser(
    username: string,
    password: string,
    role: Role,
    boards: readonly string[],
  ): Promise<PublicStaffUser> {
    const name = checkUsername(username);
    checkPassword(password);
    if (await this.deps.store.users.get(name)) throw new DomainError("conflict", `The user "${name}" already exists.`);
    const user: StaffUser = {
      username: name,
      passwordHash: await hash(password),
      role: checkRole(role),
      boards: await this.checkBoards(role, boards),
      createdAt: this.deps.clock(),
    };
    await this.deps.store.users.create(user);
    return publicUser(user);
  }

  /** The user when the password is theirs; null otherwise, after about the same work either way. */
  async login(username: string, password: string): Promise<StaffUser | null> {
    if (typeof username !== "string" || typeof password !== "string") return null;
    if (password.length === 0 || password.length > MAX_PASSWORD_LENGTH) return null;
    const user = USERNAME_PATTERN.test(username) ? await this.deps.store.users.get(username) : null;
    if (!user) {
      await verify(await this.dummy(), password).catch(() => false);
      return null;
    }
    const ok = await verify(user.passwordHash, password).catch(() => false);
    return ok ? user : null;
  }

  async getUser(username: string): Promise<StaffUser | null> {
    return USERNAME_PATTERN.test(username) ? this.deps.store.users.get(username) : null;
  }

  async listUsers(): Promise<PublicStaffUser[]> {
    const users = await this.deps.store.users.list();
    return users.map(publicUser).sort((a, b) => a.username.localeCompare(b.username));
  }

  async updateUser(username: string, patch: UserPatch): Promise<PublicStaffUser> {
    const user = await this.getUser(username);
    if (!user) throw new DomainError("not_found", `There is no user "${username}".`);
    const role = patch.role === undefined ? user.role : checkRole(patch.role);
    const changes: Partial<Omit<StaffUser, "username" | "createdAt">> = {};
    if (patch.role !== undefined) changes.role = role;
    if (patch.boards !== undefined || patch.role !== undefined) {
      changes.boards = await this.checkBoards(role, patch.boards ?? user.boards);
    }
    if (patch.password !== undefined) {
      checkPassword(patch.password);
      changes.passwordHash = await hash(patch.password);
    }
    if (!(await this.deps.store.users.update(user.username, changes))) {
      throw new DomainError("not_found", `There is no user "${username}".`);
    }
    return publicUser({ ...user, ...changes });
  }

  /**
   * Sets (or, with null or "", clears) the name the public sees for `username`'s staff actions.
   * An account sets its own; an admin sets anyone's.
   */
  async setPublicName(by: Actor, username: string, value: unknown): Promise<PublicStaffUser> {
    if (by.username !== username && !can(by, "manage_instance", null)) {
      throw new DomainError("forbidden", "Only admins choose another account's public name.");
    }
    const user = await this.getUser(username);
    if (!user) throw new DomainError("not_found", `There is no user "${username}".`);
    const publicName = checkPublicName(value);
    if (!(await this.deps.store.users.update(user.username, { publicName }))) {
      throw new DomainError("not_found", `There is no user "${username}".`);
    }
    const { publicName: _old, ...rest } = user;
    return publicUser(publicName === null ? rest : { ...rest, publicName });
  }

  /** The volunteers of a board: accounts with the volunteer role that include it. */
  async volunteersOf(board: string): Promise<PublicStaffUser[]> {
    return (await this.listUsers()).filter((u) => u.role === "board_volunteer" && u.boards.includes(board));
  }

  /**
   * A board's owner (or anyone who may manage the board) gives it a volunteer: a new volunteer
   * account for this board (a password is then needed), or an existing volunteer of other boards
   * who gains this one. Accounts of any other role are not theirs to touch.
   */
  async addVolunteer(by: Actor, board: string, username: string, password?: string): Promise<PublicStaffUser> {
    requireBoardManager(by, board);
    const name = checkUsername(username);
    const existing = await this.getUser(name);
    if (!existing) return this.createUser(name, password ?? "", "board_volunteer", [board]);
    if (existing.role !== "board_volunteer") {
      throw new DomainError("conflict", `"${name}" is not a volunteer account; only an admin can change it.`);
    }
    if (existing.boards.includes(board)) return publicUser(existing);
    return this.updateUser(name, { boards: [...existing.boards, board] });
  }

  /** Takes a volunteer off a board; an account left with no board is deleted. */
  async removeVolunteer(by: Actor, board: string, username: string): Promise<void> {
    requireBoardManager(by, board);
    const user = USERNAME_PATTERN.test(username) ? await this.getUser(username) : null;
    if (user?.role !== "board_volunteer" || !user.boards.includes(board)) {
      throw new DomainError("not_found", `"${username}" is not a volunteer of /${board}/.`);
    }
    const left = user.boards.filter((b) => b !== board);
    if (left.length === 0) await this.deleteUser(user.username);
    else await this.updateUser(user.username, { boards: left });
  }

  /**
   * Turns two-factor sign-in off for an account that lost both its app and its recovery codes: the
   * operator's way back in (the command line). Returns whether it was on or being set up.
   */
  async resetTwoFactor(username: string): Promise<boolean> {
    const user = await this.getUser(username);
    if (!user) throw new DomainError("not_found", `There is no user "${username}".`);
    if (!user.totp) return false;
    await this.deps.store.users.update(user.username, { totp: null });
    return true;
  }

  async deleteUser(username: string): Promise<void> {
    // Sessions of a deleted user stop working at once: userForSession looks the user up every time.
    if (!USERNAME_PATTERN.test(username) || !(await this.deps.store.users.delete(username))) {
      throw new DomainError("not_found", `There is no user "${username}".`);
    }
  }

  /** Starts a session and returns the cookie value; only its hash is stored. */
  async createSession(username: string): Promise<string> {
    const now = this.deps.clock();
    await this.deps.store.sessions.deleteExpired(now);
    const token = randomBytes(32).toString("base64url");
    await this.deps.store.sessions.create({
      idHash: sha256(token),
      username,
      createdAt: now,
      expiresAt: now + SESSION_TTL_MS,
    });
    return token;
  }

  async userForSession(token: string | undefined | null): Promise<StaffUser | null> {
    if (typeof token !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const session = await this.deps.store.sessions.get(sha256(token), this.deps.clock());
    if (!session) return null;
    return this.deps.store.users.get(session.username);
  }

  async logout(token: string | undefined | null): Promise<void> {
    if (typeof token === "string" && token.length > 0 && token.length < 200) {
      await this.deps.store.sessions.delete(sha256(token));
    }
  }

  /** Mints an API token. The token is returned this once; the store keeps its hash. */
  async createToken(label = ""): Promise<{ id: string; token: string }> {
    if (typeof label !== "string" || label.length > MAX_LABEL_LENGTH) {
      throw new DomainError("invalid", `A token label is at most ${MAX_LABEL_LENGTH} characters.`);
    }
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
    const record: ApiToken = {
      id: randomUUID(),
      tokenHash: sha256(token),
      label: label.trim(),
      createdAt: this.deps.clock(),
    };
    await this.deps.store.tokens.create(record);
    return { id: record.id, token };
  }

  /** Tokens without their hashes. */
  async listTokens(): Promise<Array<Omit<ApiToken, "tokenHash">>> {
    const tokens = await this.deps.store.tokens.list();
    return tokens
      .map((t) => ({ id: t.id, label: t.label, createdAt: t.createdAt }))
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async deleteToken(id: string): Promise<void> {
    if (typeof id !== "string" || id.length > 100 || !(await this.deps.store.tokens.delete(id))) {
      throw new DomainError("not_found", `There is no token "${id}".`);
    }
  }

  /** Whether a bearer token is the configured ADMIN_TOKEN or one minted by createToken. */
  async verifyBearer(token: string | undefined | null): Promise<boolean> {
    return (await this.bearerIdentity(token)) !== null;
  }

  /**
   * Which admin token `token` is, for the audit log: `ADMIN_TOKEN` for the configured one, else the
   * minted token's id; null when it is none of them.
   */
  async bearerIdentity(token: string | undefined | null): Promise<string | null> {
    if (typeof token !== "string" || token.length === 0 || token.length > 512) return null;
    if (this.deps.adminToken !== null && secretEquals(token, this.deps.adminToken)) return "ADMIN_TOKEN";
    if (!token.startsWith(TOKEN_PREFIX)) return null;
    // The lookup is by hash, so its timing says nothing about the token itself.
    return (await this.deps.store.tokens.findByHash(sha256(token)))?.id ?? null;
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hash(randomBytes(16).toString("base64url"));
    return this.dummyHash;
  }

  private async checkBoards(role: Role, boards: readonly string[]): Promise<string[]> {
    if (!isBoardRole(role)) return [];
    if (!Array.isArray(boards) || boards.some((b) => typeof b !== "string")) {
      throw new DomainError("invalid", "boards must be a list of board names.");
    }
    const unique = [...new Set(boards.map((b) => b.trim()).filter((b) => b.length > 0))];
    if (unique.length === 0) throw new DomainError("invalid", `A ${role.replace("_", " ")} needs at least one board.`);
    for (const b of unique) {
      if (!isBoardUri(b) || !(await this.deps.store.boards.get(b))) {
        throw new DomainError("invalid", `Board /${b}/ does not exist.`);
      }
    }
    return unique;
  }
}

function checkUsername(username: unknown): string {
  if (typeof username !== "string" || !USERNAME_PATTERN.test(username)) {
    throw new DomainError("invalid", "A username is 2 to 32 lowercase letters, digits or underscores.");
  }
  if (username === API_ACTOR.username) throw new DomainError("invalid", `"${username}" is reserved for the admin API.`);
  return username;
}

function checkPassword(password: unknown): void {
  if (typeof password !== "string" || password.length < MIN_PASSWORD_LENGTH) {
    throw new DomainError("invalid", `A password needs at least ${MIN_PASSWORD_LENGTH} characters.`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new DomainError("invalid", `A password is at most ${MAX_PASSWORD_LENGTH} characters.`);
  }
}

function checkRole(role: unknown): Role {
  if (typeof role !== "string" || !(ROLES as readonly string[]).includes(role)) {
    throw new DomainError("invalid", `A role is one of ${ROLES.join(", ")}.`);
  }
  return role as Role;
}

/** A random password for accounts created without one: 24 characters from 18 random bytes. */
export function generatePassword(): string {
  return randomBytes(18).toString("base64url");
}
