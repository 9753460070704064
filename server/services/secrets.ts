import { createHmac, randomBytes } from "node:crypto";
import type { SettingsRepository } from "../domain/ports.js";

export type SecretPurpose =
  | "ip"
  | "tripcode"
  | "poster-id"
  | "poster-token"
  | "captcha"
  | "password"
  | "csrf"
  | "login-device"
  | "staff-actor"
  | "totp"
  | "pending-login"
  | "access-log";

/**
 * The instance's secret, generated at first start and kept in the store so that IP hashes, secure
 * tripcodes and captchas stay stable across restarts and across processes sharing one database.
 * Each use gets its own key derived from it, so one leaking says nothing of the others.
 */
export class Secrets {
  private constructor(private readonly root: Buffer) {}

  static async load(settings: SettingsRepository): Promise<Secrets> {
    const value = await settings.setIfAbsent("instance_secret", randomBytes(32).toString("hex"));
    return new Secrets(Buffer.from(value, "hex"));
  }

  key(purpose: SecretPurpose): string {
    return createHmac("sha256", this.root).update(`atoll:${purpose}`).digest("hex");
  }

  keyBytes(purpose: SecretPurpose): Buffer {
    return createHmac("sha256", this.root).update(`atoll:${purpose}`).digest();
  }
}
