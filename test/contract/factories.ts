import { randomBytes, randomInt } from "node:crypto";
import { expect } from "vitest";
import { type Board, type BoardSettings, DEFAULT_BOARD_SETTINGS } from "../../server/domain/board.js";
import type { DomainErrorKind } from "../../server/domain/errors.js";
import type { NewPost, PostFile } from "../../server/domain/post.js";

/** A fresh random content address. */
export function address(): string {
  return randomBytes(32).toString("hex");
}

/** Default file ids rise from call to call, as a board gives them out, so a store keeps them as given. */
let lastTim = randomInt(1, 2 ** 40);

/** A complete PostFile with fresh addresses and a fresh, rising tim unless overridden. */
export function newFile(overrides: Partial<PostFile> = {}): PostFile {
  lastTim += randomInt(1, 1000);
  return {
    sha256: address(),
    thumbSha256: address(),
    tim: lastTim,
    ext: ".png",
    mime: "image/png",
    filename: "cat picture",
    size: 12_345,
    width: 640,
    height: 480,
    thumbWidth: 250,
    thumbHeight: 188,
    md5: "1B2M2Y8AsgTpgAmY7PhCfg==",
    spoiler: false,
    ...overrides,
  };
}

/** A complete NewPost: a text post from address hash "ip-a" at `createdAt` now, unless overridden. */
export function newPost(overrides: Partial<NewPost> = {}): NewPost {
  return {
    createdAt: Date.now(),
    name: "Anonymous",
    trip: null,
    capcode: null,
    subject: null,
    comment: "hello",
    html: "hello",
    quotes: [],
    posterId: null,
    sage: false,
    file: null,
    extraFiles: [],
    fileDeleted: false,
    ipHash: "ip-a",
    posterToken: null,
    passwordHash: null,
    apId: null,
    fediActor: null,
    ...overrides,
  };
}

export function newBoard(uri: string, settings: Partial<BoardSettings> = {}, createdAt = 1_700_000_000_000): Board {
  return {
    uri,
    title: `/${uri}/ title`,
    description: `about /${uri}/`,
    settings: { ...DEFAULT_BOARD_SETTINGS, allowedTypes: [...DEFAULT_BOARD_SETTINGS.allowedTypes], ...settings },
    createdAt,
  };
}

/** Limits wide enough that nothing is archived, refused for images, or stops bumping. */
export const ROOMY = { maxThreads: 10_000, bumpLimit: 10_000, imageLimit: 10_000 } as const;

export async function expectDomainError(work: Promise<unknown>, kind: DomainErrorKind): Promise<void> {
  await expect(work).rejects.toMatchObject({ name: "DomainError", kind });
}

export function ascending(values: number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
