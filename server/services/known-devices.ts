import { createHmac, timingSafeEqual } from "node:crypto";

/** How long a browser stays known after its last successful sign-in. */
export const KNOWN_DEVICE_TTL_MS = 180 * 24 * 60 * 60 * 1000;

/**
 * Proof that a browser signed in to an account before: `<issued, base 36>.<HMAC of name and time>`,
 * kept in an httpOnly cookie. Only a correct password earns one, so an attacker cannot hold one for
 * an account they cannot sign in to, and the sign-in throttle can spare its holder the budgets an
 * attacker could otherwise exhaust to lock the owner out.
 */
export class KnownDevices {
  constructor(
    /** A key of its own, derived from the instance secret. */
    private readonly key: string,
    private readonly ttlMs = KNOWN_DEVICE_TTL_MS,
  ) {}

  issue(username: string, now: number): string {
    const issued = now.toString(36);
    return `${issued}.${this.mac(username, issued)}`;
  }

  /** Whether `token` was issued for `username` and has not expired. */
  recognises(token: string | undefined, username: string, now: number): boolean {
    if (typeof token !== "string" || token.length > 100) return false;
    const m = /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return false;
    const issued = Number.parseInt(m[1] as string, 36);
    if (!Number.isSafeInteger(issued) || issued > now || now - issued > this.ttlMs) return false;
    const want = Buffer.from(this.mac(username, m[1] as string));
    const got = Buffer.from(m[2] as string);
    return want.length === got.length && timingSafeEqual(want, got);
  }

  private mac(username: string, issued: string): string {
    return createHmac("sha256", this.key).update(`known-device\u0000${username}\u0000${issued}`).digest("base64url");
  }
}
