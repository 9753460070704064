import { createCipheriv, createDecipheriv, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import sharp from "sharp";
import svgCaptcha from "svg-captcha";
import { DomainError } from "../domain/errors.js";
import type { SpentTokens } from "../domain/limit-ports.js";
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
 * id, so any process sharing the instance secret can check it; the answer is drawn as glyph outlines
 * (no text in the image) and rasterised to PNG. Each id is accepted once, across every process
 * sharing the store (its nonce is spent there atomically), and expires after ten minutes.
 */
export class CaptchaService {
  constructor(
    private readonly key: Buffer,
    private readonly clock: Clock,
    /** Where spent nonces are kept until their challenge expires. */
    private readonly spent: SpentTokens,
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
  async verify(id: string | undefined, answer: string | undefined): Promise<void> {
    await this.verifyAny(id ? [id] : [], answer);
  }

  /**
   * Checks an answer against several challenges a reader holds (one per open tab, newest first)
   * and spends the one it solves, returning its id; the others stay usable. A wrong answer spends
   * them all, so no challenge can be guessed at repeatedly. Throws DomainError("captcha") with the
   * reason (for the newest challenge when none is usable). Of two requests spending one challenge
   * at once, on any processes, one wins and the other is told it was already used.
   */
  async verifyAny(ids: readonly string[], answer: string | undefined): Promise<string> {
    if (ids.length === 0 || !answer) throw new DomainError("captcha", "Solve the captcha to post.");
    const now = this.clock();
    const opened = ids.map((id) => ({ id, sealed: this.open(id) }));
    const spent = await this.spent.spent(opened.flatMap((o) => (o.sealed ? [token(o.sealed)] : [])));
    const usable: Array<{ id: string; sealed: Sealed }> = [];
    let refusal: string | null = null;
    for (const { id, sealed } of opened) {
      const why = !sealed
        ? "That captcha is not valid; load a new one."
        : sealed.expiresAt < now
          ? "That captcha has expired; load a new one."
          : spent.has(token(sealed))
            ? "That captcha was already used; load a new one."
            : null;
      if (why === null && sealed) usable.push({ id, sealed });
      else refusal ??= why;
    }
    if (usable.length === 0) throw new DomainError("captcha", refusal ?? "Solve the captcha to post.");
    const given = Buffer.from(answer.trim().toLowerCase().slice(0, 32));
    const solved = usable.find(({ sealed }) => {
      const expected = Buffer.from(sealed.answer);
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (solved === undefined) {
      await Promise.all(usable.map(({ sealed }) => this.spent.spend(token(sealed), sealed.expiresAt)));
      throw new DomainError("captcha", "The captcha answer was wrong; try the new one.");
    }
    if (!(await this.spent.spend(token(solved.sealed), solved.sealed.expiresAt))) {
      throw new DomainError("captcha", "That captcha was already used; load a new one.");
    }
    return solved.id;
  }

  /** Those of `ids` that can still be answered: ours, not expired, not spent. */
  async usable(ids: readonly string[]): Promise<string[]> {
    const now = this.clock();
    const live = ids.flatMap((id) => {
      const sealed = this.open(id);
      return sealed && sealed.expiresAt >= now ? [{ id, sealed }] : [];
    });
    if (live.length === 0) return [];
    const spent = await this.spent.spent(live.map((l) => token(l.sealed)));
    return live.filter((l) => !spent.has(token(l.sealed))).map((l) => l.id);
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
      const wellFormed =
        typeof parsed.answer === "string" && typeof parsed.expiresAt === "number" && typeof parsed.nonce === "string";
      return wellFormed ? parsed : null;
    } catch {
      return null;
    }
  }
}

/** The spent-token key of a challenge. */
function token(sealed: Sealed): string {
  return `captcha:${sealed.nonce}`;
}
