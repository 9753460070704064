import type { Board, BoardSettings } from "../../server/domain/board.js";
import { DEFAULT_BOARD_SETTINGS } from "../../server/domain/board.js";
import { DomainError } from "../../server/domain/errors.js";
import type { BoardRepository, BoardStamp } from "../../server/domain/ports.js";
import { applySettingsPatch, settingsFromStorage } from "../common/board-settings.js";
import { int, str } from "../common/guards.js";
import type { Db } from "./database.js";
import { conflictOnDuplicate } from "./errors.js";
import { OrphanFinder } from "./orphans.js";

interface BoardRow {
  uri: string;
  title: string;
  description: string;
  settings: string;
  created_at: number;
}

function parseSettings(json: string): BoardSettings {
  try {
    return settingsFromStorage(JSON.parse(json));
  } catch {
    return settingsFromStorage(null);
  }
}

/** Stored settings texts already parsed and checked: boards are read on every post, and rarely change. */
const PARSED_SETTINGS_MAX = 256;

/** Settings by their stored JSON text, parsed once; each caller gets its own copy. */
class SettingsParser {
  readonly #parsed = new Map<string, BoardSettings>();

  parse(json: string): BoardSettings {
    let settings = this.#parsed.get(json);
    if (!settings) {
      settings = parseSettings(json);
      if (this.#parsed.size >= PARSED_SETTINGS_MAX) this.#parsed.clear();
      this.#parsed.set(json, settings);
    }
    return { ...settings, allowedTypes: [...settings.allowedTypes] };
  }
}

export class SqliteBoardRepository implements BoardRepository {
  private readonly s;
  private readonly settings = new SettingsParser();
  private readonly fromRow = (row: BoardRow): Board => ({
    uri: row.uri,
    title: row.title,
    description: row.description,
    settings: this.settings.parse(row.settings),
    createdAt: row.created_at,
  });
  private readonly orphans: OrphanFinder;
  private readonly updateTx;
  private readonly deleteTx;

  constructor(db: Db) {
    this.orphans = new OrphanFinder(db);
    this.s = {
      insert: db.prepare<[BoardRow]>(
        `INSERT INTO boards (uri, title, description, settings, created_at, modified_at)
         VALUES (@uri, @title, @description, @settings, @created_at, @created_at)`,
      ),
      get: db.prepare<[string], BoardRow>(
        "SELECT uri, title, description, settings, created_at FROM boards WHERE uri = ?",
      ),
      list: db.prepare<[], BoardRow>("SELECT uri, title, description, settings, created_at FROM boards ORDER BY uri"),
      update: db.prepare<[{ uri: string; title: string; description: string; settings: string; now: number }]>(
        `UPDATE boards SET title = @title, description = @description, settings = @settings, version = version + 1,
           modified_at = max(modified_at, @now)
         WHERE uri = @uri`,
      ),
      files: db.prepare<[string, string], { a: string; b: string }>(
        "SELECT DISTINCT file_sha256 AS a, file_thumb_sha256 AS b FROM posts WHERE board = ? AND file_sha256 IS NOT NULL " +
          "UNION SELECT sha256, thumb_sha256 FROM post_extra_files WHERE board = ?",
      ),
      deleteReports: db.prepare<[string]>("DELETE FROM reports WHERE board = ?"),
      // threads and posts follow through the foreign-key cascades
      delete: db.prepare<[string]>("DELETE FROM boards WHERE uri = ?"),
      lastNumber: db.prepare<[string], number>("SELECT next_no - 1 FROM boards WHERE uri = ?").pluck(),
      version: db.prepare<[string], number>("SELECT version FROM boards WHERE uri = ?").pluck(),
      stamp: db.prepare<[string], { version: number; modified_at: number }>(
        "SELECT version, modified_at FROM boards WHERE uri = ?",
      ),
    };

    this.updateTx = db.transaction(
      (uri: string, patch: { title?: string; description?: string; settings?: Partial<BoardSettings> }) => {
        const row = this.s.get.get(uri);
        if (!row) return null;
        const current = this.fromRow(row);
        const next: Board = {
          ...current,
          title: patch.title === undefined ? current.title : str(patch.title, "title"),
          description: patch.description === undefined ? current.description : str(patch.description, "description"),
          settings: applySettingsPatch(current.settings, patch.settings),
        };
        this.s.update.run({
          uri,
          title: next.title,
          description: next.description,
          settings: JSON.stringify(next.settings),
          now: Date.now(),
        });
        return next;
      },
    );

    this.deleteTx = db.transaction((uri: string) => {
      const candidates = new Set<string>();
      for (const { a, b } of this.s.files.iterate(uri, uri)) {
        candidates.add(a);
        candidates.add(b);
      }
      this.s.deleteReports.run(uri);
      const deleted = this.s.delete.run(uri).changes > 0;
      return { deleted, orphans: deleted ? this.orphans.find([...candidates]) : [] };
    });
  }

  async create(board: Board): Promise<void> {
    const settings = applySettingsPatch(DEFAULT_BOARD_SETTINGS, board.settings);
    const row: BoardRow = {
      uri: str(board.uri, "uri"),
      title: str(board.title, "title"),
      description: str(board.description, "description"),
      settings: JSON.stringify(settings),
      created_at: int(board.createdAt, "createdAt"),
    };
    conflictOnDuplicate(() => this.s.insert.run(row), `The board /${board.uri}/ already exists.`);
  }

  async get(uri: string): Promise<Board | null> {
    const row = this.s.get.get(str(uri, "uri"));
    return row ? this.fromRow(row) : null;
  }

  async list(): Promise<Board[]> {
    return this.s.list.all().map(this.fromRow);
  }

  async update(
    uri: string,
    patch: { title?: string; description?: string; settings?: Partial<BoardSettings> },
  ): Promise<Board | null> {
    if (patch === null || typeof patch !== "object")
      throw new DomainError("invalid", "A board patch must be an object.");
    return this.updateTx.immediate(str(uri, "uri"), patch);
  }

  async delete(uri: string): Promise<{ deleted: boolean; orphans: string[] }> {
    return this.deleteTx.immediate(str(uri, "uri"));
  }

  async version(uri: string): Promise<number> {
    return this.s.version.get(str(uri, "uri")) ?? 0;
  }

  async stamp(uri: string): Promise<BoardStamp | null> {
    const row = this.s.stamp.get(str(uri, "uri"));
    return row ? { version: row.version, modifiedAt: row.modified_at } : null;
  }

  async lastNumber(uri: string): Promise<number | null> {
    return this.s.lastNumber.get(str(uri, "uri")) ?? null;
  }
}
