import { describe, expect, it } from "vitest";
import { newBoard } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

export function describePingContract({ store }: ContractContext): void {
  describe("ping", () => {
    it("answers while the store is open, before and after writes, and fails once it is closed", async () => {
      const s = store();
      await expect(s.ping()).resolves.toBeUndefined();
      await s.boards.create(newBoard("b"));
      await expect(s.ping()).resolves.toBeUndefined();
      await s.close();
      await expect(s.ping()).rejects.toThrow();
    });
  });
}
