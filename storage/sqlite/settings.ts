import type { SettingsRepository } from "../../server/domain/ports.js";
import { str } from "../common/guards.js";
import type { Db } from "./database.js";

export class SqliteSettingsRepository implements SettingsRepository {
  private readonly s;
  private readonly setIfAbsentTx;

  constructor(db: Db) {
    this.s = {
      get: db.prepare<[string], string>("SELECT value FROM settings WHERE key = ?").pluck(),
      insertIfAbsent: db.prepare<[string, string]>(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
      ),
      upsert: db.prepare<[string, string]>(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ),
    };
    this.setIfAbsentTx = db.transaction((key: string, value: string) => {
      this.s.insertIfAbsent.run(key, value);
      return this.s.get.get(key)!;
    });
  }

  async get(key: string): Promise<string | null> {
    return this.s.get.get(str(key, "key")) ?? null;
  }

  async setIfAbsent(key: string, value: string): Promise<string> {
    return this.setIfAbsentTx.immediate(str(key, "key"), str(value, "value"));
  }

  async set(key: string, value: string): Promise<void> {
    this.s.upsert.run(str(key, "key"), str(value, "value"));
  }
}
