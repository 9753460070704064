import { createCipheriv, createDecipheriv, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import sharp from "sharp";
import svgCaptcha from "svg-captcha";
import { DomainError } from "../domain/errors.js";
import type { Clock } from "./clock.js";

/** Letters that cannot be confused with one another once distorted. */
const ALPHABET = "abcdefhjkmnprstuvwxyz2345678";
const LENGTH = 6;
const TTL_MS = 10 * 60 * 1000;

/** svg-captcha's default export renders a given text; its typings only declare the helpers. */
const renderSvg = svgCaptcha as unknown as (text: string, options: Record<string, unknown>) => string;

interface Sealed {
  answer: string;
  expiresAt: number;
  nonce: string;
}

/**
 * A built-in captcha with no third-party service. A challenge is sealed (AES-256-GCM) into an opaque
 * id, so any process sharing the instance secret can check it without shared state; the answer is
 * drawn as glyph outlines (no text in the image) and rasterised to PNG. Each id is accepted once
 * and expires after ten minutes.
 */
export class CaptchaService {
  /** Nonces already spent, with their expiry, so a solved captcha cannot be replayed. */
  private readonly spent = new Map<string, number>();

  constructor(
    private readonly key: Buffer,
    private readonly clock: Clock,
  ) {
    if (key.length !== 32) throw new Error("captcha key must be 32 bytes");
  }

  /** A new challenge id. */
  create(): string {
    let answer = "";
    for (let i = 0; i < LENGTH; i++) answer += ALPHABET[randomInt(ALPHABET.length)];
    const sealed: Sealed = { answer, expiresAt: this.clock() + TTL_MS, nonce: randomBytes(12).toString("base64url") };
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(sealed), "utf8"), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
  }

  /** The PNG image of a challenge; null for an id that is not ours or has expired. */
  async image(id: string): Promise<Buffer | null> {
    const sealed = this.open(id);
    if (!sealed || sealed.expiresAt < this.clock()) return null;
    const svg = renderSvg(sealed.answer, { width: 200, height: 64, fontSize: 56, noise: 3, color: false });
    return sharp(Buffer.from(svg)).flatten({ background: "#ffffff" }).png({ compressionLevel: 6 }).toBuffer();
  }

  /** Checks an answer and spends the id; throws DomainError("captcha") with the reason otherwise. */
  verify(id: string | undefined, answer: string | undefined): void {
    this.verifyAny(id ? [id] : [], answer);
  }

  /**
   * Checks an answer against several challenges a reader holds (one per open tab, newest first)
   * and spends the one it solves, returning its id; the others stay usable. A wrong answer spends
   * them all, so no challenge can be guessed at repeatedly. Throws DomainError("captcha") with the
   * reason (for the newest challenge when none is usable).
   */
  verifyAny(ids: readonly string[], answer: string | undefined): string {
    if (ids.length === 0 || !answer) throw new DomainError("captcha", "Solve the captcha to post.");
    const now = this.clock();
    this.prune(now);
    const usable: Array<{ id: string; sealed: Sealed }> = [];
    let refusal: string | null = null;
    for (const id of ids) {
      const sealed = this.open(id);
      const why = !sealed
        ? "That captcha is not valid; load a new one."
        : sealed.expiresAt < now
          ? "That captcha has expired; load a new one."
          : this.spent.has(sealed.nonce)
            ? "That captcha was already used; load a new one."
            : null;
      if (why === null && sealed) usable.push({ id, sealed });
      else refusal ??= why;
    }
    if (usable.length === 0) throw new DomainError("captcha", refusal ?? "Solve the captcha to post.");
    const given = Buffer.from(answer.trim().toLowerCase().slice(0, 32));
    let solved: string | null = null;
    for (const { id, sealed } of usable) {
      const expected = Buffer.from(sealed.answer);
      if (solved === null && given.length === expected.length && timingSafeEqual(given, expected)) solved = id;
    }
    for (const { id, sealed } of usable) {
      if (solved === null || solved === id) this.spent.set(sealed.nonce, sealed.expiresAt);
    }
    if (solved === null) throw new DomainError("captcha", "The captcha answer was wrong; try the new one.");
    return solved;
  }

  /** Whether a challenge can still be answered: ours, not expired, not spent. */
  usable(id: string): boolean {
    const sealed = this.open(id);
    return sealed !== null && sealed.expiresAt >= this.clock() && !this.spent.has(sealed.nonce);
  }

  /** The expected answer of a challenge, for in-process callers such as tests; never served over HTTP. */
  answerOf(id: string): string | null {
    return this.open(id)?.answer ?? null;
  }

  private open(id: string): Sealed | null {
    if (id.length > 512 || !/^[A-Za-z0-9_-]+$/.test(id)) return null;
    const raw = Buffer.from(id, "base64url");
    if (raw.length < 29) return null;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
      const parsed = JSON.parse(text) as Sealed;
      return typeof parsed.answer === "string" && typeof parsed.expiresAt === "number" ? parsed : null;
    } catch {
      return null;
    }
  }

  private prune(now: number): void {
    if (this.spent.size < 1000) return;
    for (const [nonce, expiresAt] of this.spent) if (expiresAt < now) this.spent.delete(nonce);
  }
}
