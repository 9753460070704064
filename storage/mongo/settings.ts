import type { SettingsRepository } from "../../server/domain/ports.js";
import { str } from "../common/guards.js";
import type { Collections } from "./documents.js";
import { isDuplicateKey } from "./errors.js";

/** Racing upserts of one new key can both try to insert; the loser sees a duplicate key and retries. */
const ATTEMPTS = 3;

export class MongoSettingsRepository implements SettingsRepository {
  constructor(private readonly c: Collections) {}

  async get(key: string): Promise<string | null> {
    const doc = await this.c.settings.findOne({ key: { $eq: str(key, "key") } });
    return doc?.value ?? null;
  }

  async setIfAbsent(key: string, value: string): Promise<string> {
    const k = str(key, "key");
    const v = str(value, "value");
    for (let attempt = 1; ; attempt++) {
      try {
        // The upserted document takes `key` from the filter's equality; $setOnInsert leaves an existing value alone.
        const doc = await this.c.settings.findOneAndUpdate(
          { key: k },
          { $setOnInsert: { value: v } },
          { upsert: true, returnDocument: "after" },
        );
        if (doc) return doc.value;
      } catch (e) {
        if (!isDuplicateKey(e) || attempt >= ATTEMPTS) throw e;
      }
    }
  }

  async set(key: string, value: string): Promise<void> {
    const k = str(key, "key");
    const v = str(value, "value");
    for (let attempt = 1; ; attempt++) {
      try {
        await this.c.settings.updateOne({ key: k }, { $set: { value: v } }, { upsert: true });
        return;
      } catch (e) {
        if (!isDuplicateKey(e) || attempt >= ATTEMPTS) throw e;
      }
    }
  }
}
