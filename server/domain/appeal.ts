/** What became of an appeal: waiting for staff, or answered either way. */
export type AppealStatus = "open" | "accepted" | "rejected";

/**
 * A banned poster's request to lift their ban: one per ban. It keeps what the poster saw of the
 * ban (scope and reason), so the answer stays readable after an accepted appeal lifted the ban.
 */
export interface Appeal {
  id: string;
  /** The ban appealed against; unique among appeals. */
  banId: string;
  /** The ban's scope: a board, or null for every board. */
  board: string | null;
  /** The banned address hash (the poster who may read the answer). */
  ipHash: string;
  /** The ban's reason, as the poster was shown it. */
  banReason: string;
  /** What the poster wrote. */
  text: string;
  status: AppealStatus;
  createdAt: number;
  decidedAt: number | null;
  /** Staff's answer, shown to the poster. */
  decisionReason: string | null;
  /** The staff account that answered (never shown to the poster). */
  decidedBy: string | null;
}

export interface AppealDecision {
  status: Exclude<AppealStatus, "open">;
  reason: string;
  by: string;
  at: number;
}
