import { DomainError } from "../../server/domain/errors.js";
import { ROLES, type Role, type StaffTotp, type StaffUser } from "../../server/domain/staff.js";

/*
 * Runtime checks on arguments that reach a query. The types already say what they are, but values
 * arrive from HTTP and federation: a check here means no object can ever stand where a literal is
 * expected (query operator injection) and a bad value is a DomainError, never a driver crash.
 */

export function str(value: unknown, what: string): string {
  if (typeof value !== "string") throw new DomainError("invalid", `${what} must be a string.`);
  return value;
}

export function int(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new DomainError("invalid", `${what} must be an integer.`);
  }
  return value;
}

export function num(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new DomainError("invalid", `${what} must be a number.`);
  return value;
}

export function optBool(value: unknown, what: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "boolean") throw new DomainError("invalid", `${what} must be true or false.`);
  return value;
}

export function nullableStr(value: unknown, what: string): string | null {
  if (value === null || value === undefined) return null;
  return str(value, what);
}

export function nullableInt(value: unknown, what: string): number | null {
  if (value === null || value === undefined) return null;
  return int(value, what);
}

/** offset/limit of a listing, clamped to sane non-negative integers. */
export function page(offset: unknown, limit: unknown): { offset: number; limit: number } {
  return {
    offset: Math.max(0, Math.floor(num(offset, "offset"))),
    limit: Math.max(0, Math.floor(num(limit, "limit"))),
  };
}

export function intList(values: unknown, what: string): number[] {
  if (!Array.isArray(values)) throw new DomainError("invalid", `${what} must be a list.`);
  return [...new Set(values.map((v) => int(v, what)))];
}

export function strList(values: unknown, what: string): string[] {
  if (!Array.isArray(values)) throw new DomainError("invalid", `${what} must be a list.`);
  return values.map((v) => str(v, what));
}

export type UserPatch = Partial<Omit<StaffUser, "username" | "createdAt" | "publicName" | "totp">> & {
  publicName?: string | null;
  totp?: StaffTotp | null;
};

/** The fields of a user patch, checked; keys outside the known five are ignored. */
export function checkedUserPatch(patch: UserPatch): {
  passwordHash?: string;
  role?: Role;
  boards?: string[];
  publicName?: string | null;
  totp?: StaffTotp | null;
} {
  const out: {
    passwordHash?: string;
    role?: Role;
    boards?: string[];
    publicName?: string | null;
    totp?: StaffTotp | null;
  } = {};
  if (patch.publicName !== undefined) out.publicName = nullableStr(patch.publicName, "publicName");
  if (patch.passwordHash !== undefined) out.passwordHash = str(patch.passwordHash, "passwordHash");
  if (patch.role !== undefined) {
    if (!ROLES.includes(patch.role)) throw new DomainError("invalid", "Unknown role.");
    out.role = patch.role;
  }
  if (patch.boards !== undefined) out.boards = strList(patch.boards, "boards");
  if (patch.totp !== undefined) out.totp = patch.totp === null ? null : checkedTotp(patch.totp);
  return out;
}

/** A two-factor record, checked field by field (and copied, so no other key reaches the store). */
export function checkedTotp(t: unknown): StaffTotp {
  if (typeof t !== "object" || t === null) throw new DomainError("invalid", "totp must be an object.");
  const r = t as Record<string, unknown>;
  return {
    sealedSecret: str(r["sealedSecret"], "totp.sealedSecret"),
    recoveryHashes: strList(r["recoveryHashes"], "totp.recoveryHashes"),
    enabledAt: nullableInt(r["enabledAt"], "totp.enabledAt"),
    lastStep: int(r["lastStep"], "totp.lastStep"),
  };
}
