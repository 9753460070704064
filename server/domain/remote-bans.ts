/**
 * A ban of one fediverse account (a remote actor), from one board or from every board: what the
 * account sends is refused at the inbox while the ban is in force.
 */
export interface RemoteBan {
  id: string;
  /** The banned actor's id (its ActivityPub URL). */
  actorId: string;
  /** The account's `name@host` when it was known at ban time; null otherwise. */
  handle: string | null;
  /** null: every board. */
  board: string | null;
  reason: string;
  createdAt: number;
  /** null: permanent. */
  expiresAt: number | null;
  createdBy: string;
  /** Whether the account's posts here were removed with the ban (Lemmy's `removeData`). */
  deletePosts: boolean;
}

export interface RemoteBanRepository {
  create(ban: RemoteBan): Promise<void>;
  /** The ban in force on `actorId` for `board` (board-scoped or instance-wide) at `now`, if any. */
  findActive(actorId: string, board: string, now: number): Promise<RemoteBan | null>;
  /** Every ban, newest first. */
  list(): Promise<RemoteBan[]>;
  get(id: string): Promise<RemoteBan | null>;
  delete(id: string): Promise<boolean>;
}
