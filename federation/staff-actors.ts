import { createHmac } from "node:crypto";
import { publicStaffLabel } from "../server/domain/moderation-log.js";
import { can, type Role } from "../server/domain/staff.js";
import type { Services } from "../server/services/container.js";
import { API_ACTOR } from "../server/services/staff.js";
import type { FederationIds } from "./ids.js";

/** A staff member of one board as the fediverse sees them. */
export interface StaffActor {
  id: string;
  /** The opaque last segment of the id. */
  key: string;
  /** The public name: the one the account chose, else the role and the board; never the login name. */
  name: string;
}

const KEY = /^[A-Za-z0-9_-]{22}$/;

/**
 * Staff as ActivityPub actors: one `Person` per staff account and board it moderates, named by the
 * public name the account chose or else by role ("Board owner of /b/") and identified by a keyed hash of the board and the login name, so
 * the id says nothing of the account and differs from board to board. The admin API acts as one
 * more such actor, "Administrator".
 */
export class StaffActors {
  readonly #secret: Buffer;

  constructor(
    private readonly s: Pick<Services, "store"> & { secrets: Pick<Services["secrets"], "keyBytes"> },
    private readonly ids: FederationIds,
  ) {
    this.#secret = s.secrets.keyBytes("staff-actor");
  }

  /** The actor of `username` (with `role`, and the public name it chose if any) on `board`. */
  of(board: string, username: string, role: Role, publicName?: string): StaffActor {
    const key = createHmac("sha256", this.#secret).update(`${board}\n${username}`).digest("base64url").slice(0, 22);
    const name = publicName ?? `${publicStaffLabel(role)} of /${board}/`;
    return { id: this.ids.staffActor(board, key), key, name };
  }

  /** The actor id of `username` on `board` (the same whatever their role). */
  idOf(board: string, username: string): string {
    return this.of(board, username, "board_volunteer").id;
  }

  /** Everyone who moderates `board`, the admin API first, then accounts by name. */
  async moderatorsOf(board: string): Promise<StaffActor[]> {
    const users = (await this.s.store.users.list())
      .filter((u) => can(u, "moderate", board))
      .sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
    return [
      this.of(board, API_ACTOR.username, API_ACTOR.role),
      ...users.map((u) => this.of(board, u.username, u.role, u.publicName)),
    ];
  }

  /** The moderator of `board` whose key this is, or null (unknown, or no longer staff there). */
  async find(board: string, key: string): Promise<StaffActor | null> {
    if (!KEY.test(key)) return null;
    return (await this.moderatorsOf(board)).find((a) => a.key === key) ?? null;
  }
}
