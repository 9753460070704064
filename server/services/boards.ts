import { z } from "zod";
import {
  BANNER_FILE,
  type Board,
  type BoardSettings,
  CAPTCHA_MODES,
  DEFAULT_BOARD_SETTINGS,
  MAX_ANNOUNCEMENT,
  MEDIA_TYPES,
  validateBoardUri,
} from "../domain/board.js";
import { DomainError } from "../domain/errors.js";
import type { MediaStore, Store } from "../domain/ports.js";
import { MAX_POST_FILES } from "../domain/post.js";
import { bannerMedia } from "./board-banner.js";
import type { Clock } from "./clock.js";

const SettingsPatch = z
  .object({
    bumpLimit: z.number().int().min(1).max(10_000),
    maxThreads: z.number().int().min(1).max(10_000),
    imageLimit: z.number().int().min(0).max(10_000),
    threadsPerPage: z.number().int().min(1).max(50),
    maxFileSize: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024),
    maxFiles: z.number().int().min(1).max(MAX_POST_FILES),
    allowedTypes: z.array(z.enum(MEDIA_TYPES)).min(1),
    maxVideoDuration: z.number().int().min(1).max(3600),
    defaultName: z.string().trim().min(1).max(100),
    requireImageForThread: z.boolean(),
    posterIds: z.boolean(),
    forcedAnon: z.boolean(),
    sfw: z.boolean(),
    maxCommentLength: z.number().int().min(1).max(20_000),
    threadCooldown: z.number().int().min(0).max(86_400),
    replyCooldown: z.number().int().min(0).max(86_400),
    postingRestrictedToMods: z.boolean(),
    listed: z.boolean(),
    captchaMode: z.enum(CAPTCHA_MODES),
    announcement: z.string().trim().max(MAX_ANNOUNCEMENT),
    // Set by an upload (board-banner.ts); a patch may name a stored banner or clear it.
    banner: z.union([z.literal(""), z.string().regex(BANNER_FILE)]),
  })
  .partial()
  .strict();

const BoardFields = z.object({
  title: z.string().trim().min(1).max(100),
  description: z.string().trim().max(1000),
});

export interface BoardPatch {
  title?: string;
  description?: string;
  settings?: Partial<BoardSettings>;
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const first = r.error.issues[0];
    const where = first?.path.length ? `${first.path.join(".")}: ` : "";
    throw new DomainError("invalid", `${where}${first?.message ?? "invalid value"}`);
  }
  return r.data;
}

/** Creating, configuring and removing boards: shared by the admin API, the admin pages and the CLI. */
export class BoardService {
  constructor(
    private readonly store: Store,
    private readonly media: MediaStore,
    private readonly clock: Clock,
    /** Called after every change, so cached views of the boards are dropped at once. */
    private readonly onChange: () => void = () => {},
  ) {}

  async create(input: { uri: unknown; title: unknown; description?: unknown; settings?: unknown }): Promise<Board> {
    if (typeof input.uri !== "string") throw new DomainError("invalid", "uri: a board needs a name");
    const uri = validateBoardUri(input.uri);
    const fields = parse(BoardFields, { title: input.title, description: input.description ?? "" });
    const settings = parse(SettingsPatch, input.settings ?? {});
    const board: Board = {
      uri,
      title: fields.title,
      description: fields.description,
      settings: { ...DEFAULT_BOARD_SETTINGS, allowedTypes: [...DEFAULT_BOARD_SETTINGS.allowedTypes], ...settings },
      createdAt: this.clock(),
    };
    await this.store.boards.create(board);
    this.onChange();
    return board;
  }

  async get(uri: string): Promise<Board> {
    const board = await this.store.boards.get(uri);
    if (!board) throw new DomainError("not_found", `Board /${uri}/ does not exist.`);
    return board;
  }

  list(): Promise<Board[]> {
    return this.store.boards.list();
  }

  async update(uri: string, patch: { title?: unknown; description?: unknown; settings?: unknown }): Promise<Board> {
    const fields = parse(BoardFields.partial().strict(), {
      ...(patch.title !== undefined ? { title: patch.title } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
    });
    const settings = patch.settings === undefined ? undefined : parse(SettingsPatch, patch.settings);
    const updated = await this.store.boards.update(uri, { ...fields, ...(settings ? { settings } : {}) });
    if (!updated) throw new DomainError("not_found", `Board /${uri}/ does not exist.`);
    this.onChange();
    return updated;
  }

  async delete(uri: string): Promise<void> {
    const { deleted, orphans } = await this.store.boards.delete(uri);
    if (!deleted) throw new DomainError("not_found", `Board /${uri}/ does not exist.`);
    this.onChange();
    await this.media.unpublishBoard?.(uri);
    const banners = await bannerMedia(this.store);
    for (const sha of orphans) if (!banners.has(sha)) await this.media.delete(sha);
  }
}
