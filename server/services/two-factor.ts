import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { Secret, TOTP } from "otpauth";
import { DomainError } from "../domain/errors.js";
import type { Store } from "../domain/ports.js";
import { hasTwoFactor, type StaffTotp, type StaffUser } from "../domain/staff.js";
import type { Clock } from "./clock.js";
import type { Secrets } from "./secrets.js";

export interface TwoFactorDeps {
  store: Pick<Store, "users">;
  clock: Clock;
  secrets: Secrets;
  /** What authenticator apps list the account under. */
  issuer: string;
}

/** What an enrolment shows until it is confirmed: the secret, as a URI for apps and as base32 for typing. */
export interface Enrolment {
  uri: string;
  base32: string;
}

export const RECOVERY_CODE_COUNT = 10;
/** Codes of the step before and after the current one are accepted too: clocks drift, people type slowly. */
const WINDOW = 1;
const PERIOD_SECONDS = 30;

/**
 * Two-factor sign-in for staff accounts with time-based one-time codes (RFC 6238, as authenticator
 * apps make them). Enrolment is two steps: a secret is generated and shown, and only a code made
 * from it turns it on, so nobody is locked out by a secret that never reached their app. It then
 * comes with recovery codes, shown once and stored as sha256 hashes (they are random enough that a
 * fast hash suffices, as for API tokens); each works once. A code from the app is accepted once too
 * (the newest step used is recorded). The secret is stored sealed with AES-256-GCM under a key
 * derived from the instance secret, and is never shown again once enrolment is confirmed.
 */
export class TwoFactorService {
  private readonly key: Buffer;

  constructor(private readonly deps: TwoFactorDeps) {
    this.key = deps.secrets.keyBytes("totp");
  }

  /** Starts (or restarts) an enrolment with a fresh secret. An account with two-factor on must turn it off first. */
  async start(user: StaffUser): Promise<Enrolment> {
    if (hasTwoFactor(user)) throw new DomainError("conflict", "Two-factor sign-in is already on for this account.");
    const secret = new Secret({ size: 20 });
    const totp: StaffTotp = {
      sealedSecret: this.seal(secret.base32),
      recoveryHashes: [],
      enabledAt: null,
      lastStep: 0,
    };
    if (!(await this.deps.store.users.update(user.username, { totp }))) {
      throw new DomainError("not_found", `There is no user "${user.username}".`);
    }
    return this.enrolment(user.username, secret.base32);
  }

  /** The enrolment awaiting its first code, if there is one: only then is the secret shown again. */
  pending(user: StaffUser): Enrolment | null {
    if (!user.totp || hasTwoFactor(user)) return null;
    const base32 = this.open(user.totp.sealedSecret);
    return base32 === null ? null : this.enrolment(user.username, base32);
  }

  /**
   * Turns two-factor sign-in on when `code` comes from the pending secret, and returns the recovery
   * codes (this is the only time they exist outside the person's hands).
   */
  async confirm(user: StaffUser, code: string): Promise<string[]> {
    const base32 = user.totp && !hasTwoFactor(user) ? this.open(user.totp.sealedSecret) : null;
    if (!user.totp || base32 === null) {
      throw new DomainError("conflict", "There is no two-factor enrolment to confirm; start one first.");
    }
    const step = this.stepOf(base32, code);
    if (step === null) throw new DomainError("invalid", "That code is not the current one from your app. Try again.");
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, recoveryCode);
    const totp: StaffTotp = {
      sealedSecret: user.totp.sealedSecret,
      recoveryHashes: codes.map(recoveryHash),
      enabledAt: this.deps.clock(),
      lastStep: step,
    };
    await this.deps.store.users.update(user.username, { totp });
    return codes;
  }

  /**
   * Whether `code` is good for the account now: a current code from its app not used before, or one
   * of its unused recovery codes (which is then spent).
   */
  async verify(user: StaffUser, code: string): Promise<boolean> {
    if (!user.totp || !hasTwoFactor(user) || typeof code !== "string") return false;
    const typed = code.replace(/[\s-]/g, "");
    if (/^[0-9]{6}$/.test(typed)) {
      const base32 = this.open(user.totp.sealedSecret);
      const step = base32 === null ? null : this.stepOf(base32, typed);
      return step !== null && (await this.deps.store.users.useTotpStep(user.username, step));
    }
    if (!/^[A-Za-z2-7]{16}$/.test(typed)) return false;
    return this.deps.store.users.useRecoveryCode(user.username, recoveryHash(typed));
  }

  /** Turns two-factor sign-in off, given a current code (or a recovery code). */
  async disable(user: StaffUser, code: string): Promise<void> {
    if (!hasTwoFactor(user)) throw new DomainError("conflict", "Two-factor sign-in is not on for this account.");
    if (!(await this.verify(user, code))) {
      throw new DomainError("invalid", "That code is not valid. Two-factor sign-in stays on.");
    }
    await this.deps.store.users.update(user.username, { totp: null });
  }

  /** Abandons an enrolment not yet confirmed. */
  async cancel(user: StaffUser): Promise<void> {
    if (user.totp && !hasTwoFactor(user)) await this.deps.store.users.update(user.username, { totp: null });
  }

  /** The step of a code valid now for the secret, or null. */
  private stepOf(base32: string, code: string): number | null {
    const typed = code.replace(/\s/g, "");
    if (!/^[0-9]{6}$/.test(typed)) return null;
    const now = this.deps.clock();
    const delta = this.totp("", base32).validate({ token: typed, timestamp: now, window: WINDOW });
    return delta === null ? null : Math.floor(now / 1000 / PERIOD_SECONDS) + delta;
  }

  private totp(label: string, base32: string): TOTP {
    return new TOTP({
      issuer: this.deps.issuer,
      label,
      algorithm: "SHA1",
      digits: 6,
      period: PERIOD_SECONDS,
      secret: Secret.fromBase32(base32),
    });
  }

  private enrolment(username: string, base32: string): Enrolment {
    return { uri: this.totp(username, base32).toString(), base32 };
  }

  private seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return `v1.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url")}`;
  }

  /** The sealed text, or null when it was sealed under another key or altered. */
  private open(sealed: string): string | null {
    if (!sealed.startsWith("v1.")) return null;
    const raw = Buffer.from(sealed.slice(3), "base64url");
    if (raw.length < 29) return null;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
    } catch {
      return null;
    }
  }
}

/** 80 random bits as 16 base32 letters, shown in groups of four. */
function recoveryCode(): string {
  const b32 = new Secret({ size: 10 }).base32;
  return b32.match(/.{4}/g)?.join("-") ?? b32;
}

function recoveryHash(code: string): string {
  const canonical = code.replace(/[\s-]/g, "").toUpperCase();
  return createHash("sha256").update(`recovery:${canonical}`).digest("base64url");
}

/** Whether REQUIRE_ADMIN_2FA holds this account back until it enrols. */
export function mustEnrol(user: Pick<StaffUser, "role" | "totp">, required: boolean): boolean {
  return required && user.role === "admin" && !hasTwoFactor(user);
}
