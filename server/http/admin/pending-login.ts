import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Clock } from "../../services/clock.js";
import type { Secrets } from "../../services/secrets.js";

/** The cookie of a sign-in whose password was right and whose second factor is still to come. */
export const PENDING_LOGIN_COOKIE = "atoll_2fa";
/** Long enough to open an app and type a code; a later attempt starts from the password again. */
export const PENDING_LOGIN_TTL_MS = 5 * 60 * 1000;

/**
 * The proof, between the two steps of a two-factor sign-in, that the password was given: the account
 * name and an expiry, signed with a key derived from the instance secret. It opens no session and
 * grants nothing but the right to try a code (attempts the sign-in throttle counts); nothing of it
 * is stored, so any process sharing the store accepts it.
 */
export class PendingLogins {
  private readonly key: Buffer;

  constructor(
    secrets: Secrets,
    private readonly clock: Clock,
  ) {
    this.key = secrets.keyBytes("pending-login");
  }

  issue(username: string): string {
    const body = `${username}.${this.clock() + PENDING_LOGIN_TTL_MS}.${randomBytes(9).toString("base64url")}`;
    return `${body}.${this.mac(body)}`;
  }

  /** The account name the token was issued for, while it has not expired; null for anything else. */
  read(token: string | undefined): string | null {
    if (typeof token !== "string" || token.length > 200) return null;
    const m = /^([a-z0-9_]{2,32})\.([0-9]{1,16})\.([A-Za-z0-9_-]{12})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return null;
    const [, username, expires, , mac] = m as unknown as [string, string, string, string, string];
    const expected = Buffer.from(this.mac(token.slice(0, token.length - mac.length - 1)));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    return Number(expires) > this.clock() ? username : null;
  }

  private mac(body: string): string {
    return createHmac("sha256", this.key).update(body).digest("base64url");
  }
}
