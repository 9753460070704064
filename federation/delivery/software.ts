/*
 * Which of a board's activities a follower's software reads, from the name its server gives in
 * NodeInfo. A board sends a new thread both as `Announce(Create(Note))` (FEP-1b12) and as a plain
 * boost `Announce(<note id>)`; each kind of software reads one of them and ignores the other, so
 * sending only the one it reads halves the requests without losing anything.
 */

/**
 * - `group`: reads `Announce(Create)` from a group it follows (FEP-1b12), replies included, and
 *   shows the thread in the group; a bare boost of a Note is not what it expects from a group.
 * - `microblog`: shows a boost (it fetches the Note by its id) and ignores an announced `Create`.
 * - `unknown`: not known to be either (no NodeInfo yet, or software not in either list): it gets
 *   both, as every follower did before software was looked at.
 */
export type PeerKind = "group" | "microblog" | "unknown";

/** The software a known kind is read by: what an activity meant for only one kind is tagged with. */
export type SoftwareFamily = Exclude<PeerKind, "unknown">;

/**
 * Servers that follow FEP-1b12 groups and take their posts and comments from `Announce(Create)`:
 * the link aggregators (Lemmy and its Java port Sublinks, Lotide, kbin and its fork Mbin, PieFed),
 * the forums that follow Lemmy communities (NodeBB), Friendica and Hubzilla with its descendants
 * (streams, Forte), whose forums FEP-1b12 describes, and Atoll itself.
 */
export const GROUP_AWARE_SOFTWARE: ReadonlySet<string> = new Set([
  "lemmy",
  "sublinks",
  "lotide",
  "kbin",
  "mbin",
  "piefed",
  "nodebb",
  "friendica",
  "hubzilla",
  "streams",
  "forte",
  "atoll",
]);

/**
 * Microblogs known to show a boost and to drop an announced `Create` they did not author:
 * Mastodon and forks that report their own name, the Misskey family, Pleroma and Akkoma,
 * GoToSocial and a few smaller servers of the same model.
 */
export const MICROBLOG_SOFTWARE: ReadonlySet<string> = new Set([
  "mastodon",
  "hometown",
  "fedibird",
  "misskey",
  "sharkey",
  "firefish",
  "calckey",
  "foundkey",
  "iceshrimp",
  "iceshrimp.net",
  "cherrypick",
  "catodon",
  "pleroma",
  "akkoma",
  "gotosocial",
  "takahe",
  "mitra",
  "snac",
]);

/** The kind of a software name as NodeInfo gives it (any case); null or unlisted: `unknown`. */
export function classifySoftware(name: string | null | undefined): PeerKind {
  if (typeof name !== "string") return "unknown";
  const key = name.trim().toLowerCase();
  if (GROUP_AWARE_SOFTWARE.has(key)) return "group";
  if (MICROBLOG_SOFTWARE.has(key)) return "microblog";
  return "unknown";
}

/**
 * Whether a follower of `kind` is sent an activity meant for `family` (undefined: meant for every
 * follower, as deletions and updates are). Unknown software is sent everything.
 */
export function receives(kind: PeerKind, family: SoftwareFamily | undefined): boolean {
  return family === undefined || kind === "unknown" || kind === family;
}
