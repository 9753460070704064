import { describe, expect, it } from "vitest";
import {
  announceBlock,
  type BlockedAccount,
  blockActivity,
  undoBlockActivity,
} from "../../federation/documents/block.js";
import { withActivityContext } from "../../federation/documents/context.js";
import { FederationIds } from "../../federation/ids.js";

/*
 * Lemmy's ban as Atoll sends it, pinned byte for byte (key order included): a board ban, its
 * announcement to the board's followers and its Undo; an instance-wide ban (Lemmy's site ban).
 */

const ids = new FederationIds("https://atoll.example");
const NOW = Date.UTC(2026, 1, 3, 4, 5, 6);
const wire = (doc: unknown) => JSON.stringify(doc, null, 1);

const boardBan: BlockedAccount = {
  id: "6f1c",
  actorId: "https://lemmy.example/u/troll",
  board: "b",
  reason: "trolling",
  createdAt: NOW - 1000,
  expiresAt: NOW + 86_400_000,
  deletePosts: true,
};
const siteBan: BlockedAccount = { ...boardBan, id: "7a2d", board: null, expiresAt: null, deletePosts: false };

describe("Block documents", () => {
  it("Block: a board ban, announced by the board", () => {
    expect(wire(announceBlock(ids, "b", blockActivity(ids, boardBan), NOW))).toMatchSnapshot();
  });

  it("Undo(Block): a lifted board ban, announced by the board", () => {
    expect(wire(announceBlock(ids, "b", undoBlockActivity(ids, boardBan, NOW), NOW))).toMatchSnapshot();
  });

  it("Block: an instance-wide ban, from the instance actor, permanent", () => {
    expect(wire(withActivityContext(ids, blockActivity(ids, siteBan)))).toMatchSnapshot();
  });

  it("Block and Undo(Block): a board ban by the staff Person who banned, announced by the board", () => {
    const staff = ids.staffActor("b", "Kq3v9sT1xYzA0bC2dE4fGh");
    expect(wire(announceBlock(ids, "b", blockActivity(ids, boardBan, staff), NOW))).toMatchSnapshot();
    expect(wire(announceBlock(ids, "b", undoBlockActivity(ids, boardBan, NOW, staff), NOW))).toMatchSnapshot();
  });

  it("a staff actor may act for the board", () => {
    const block = blockActivity(ids, boardBan, "https://atoll.example/ap/staff/1");
    expect(block["actor"]).toBe("https://atoll.example/ap/staff/1");
    expect(block["target"]).toBe("https://atoll.example/ap/boards/b");
  });
});
