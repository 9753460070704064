import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DomainError } from "../../server/domain/errors.js";
import type { Store } from "../../server/domain/ports.js";
import { Cooldowns } from "../../server/services/cooldowns.js";
import { openSqliteStore } from "../../storage/sqlite/store.js";

describe("posting cooldowns shared through the store", () => {
  const open: Array<{ store: Store; dir: string }> = [];
  afterEach(async () => {
    for (const { store, dir } of open.splice(0)) {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("never asks to wait longer than the cooldown, when another process's clock runs ahead", async () => {
    const dir = await mkdtemp(join(tmpdir(), "atoll-cooldowns-"));
    const store = openSqliteStore(join(dir, "atoll.db"));
    open.push({ store, dir });
    const now = Date.now();
    // Two processes on one store: the first one's clock is 800 ms ahead of the second's.
    const ahead = new Cooldowns(store.limits.slots, store.posts, () => now + 800);
    const behind = new Cooldowns(store.limits.slots, store.posts, () => now);
    await ahead.take("addr", "reply", 10);
    const refused = await behind.take("addr", "reply", 10).then(
      () => null,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(DomainError);
    expect((refused as DomainError).kind).toBe("rate_limited");
    expect((refused as DomainError).extra).toEqual({ retry_after: 10 });
  });
});
