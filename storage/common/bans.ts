import type { Ban } from "../../server/domain/staff.js";

/** Of several bans in force, the one to show: permanent first, then the one lasting longest. */
export function strongestBan<T extends Pick<Ban, "expiresAt">>(bans: T[]): T | null {
  let best: T | null = null;
  for (const ban of bans) {
    if (best === null) best = ban;
    else if (best.expiresAt === null) continue;
    else if (ban.expiresAt === null || ban.expiresAt > best.expiresAt) best = ban;
  }
  return best;
}
