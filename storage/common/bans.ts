import type { Ban } from "../../server/domain/staff.js";

/** Of several bans in force, the one to show: permanent first, then the one lasting longest. */
export function strongestBan(bans: Ban[]): Ban | null {
  let best: Ban | null = null;
  for (const ban of bans) {
    if (best === null) best = ban;
    else if (best.expiresAt === null) continue;
    else if (ban.expiresAt === null || ban.expiresAt > best.expiresAt) best = ban;
  }
  return best;
}
