import { escapeHtml } from "../../server/domain/markup.js";
import { isReportCategory, type ReceivedFlag, type ReportCategory } from "../../server/domain/staff.js";
import type { FederationIds } from "../ids.js";
import { AS_CONTEXT, activityContext } from "./context.js";
import { digest } from "./ids.js";

/** Where a report of a mirrored post goes, and so the shape it takes. */
export type FlagTarget =
  /** The group the board follows on the post's server (Lemmy and the like): `to` the group, one object. */
  | { kind: "group"; group: string }
  /** The author's server (Mastodon and the like): the account and the post as objects, no addressing. */
  | { kind: "author"; author: string };

/**
 * The instance's `Flag` of a mirrored post, sent to the server it came from. The instance actor
 * reports, so the reader who reported is never named; the reason goes in `summary` (which Lemmy
 * reads) and `content` (which Mastodon reads). Lemmy takes one `object` and the community in `to`
 * (and `audience`); Mastodon wants the reported account among the objects to file the report at all.
 * A category goes first in both as `[spam] `: neither Lemmy nor Mastodon reads a category from
 * a Flag, so their moderators read it there, and an Atoll receiving it takes it back (flagCategory).
 * The id is derived from the report's, so a report sent again is the same activity. A post that
 * came from another Atoll carries its poster's token: the Flag names it (in Atoll's context), so
 * the origin's staff can act on the poster behind it; nobody else reads it.
 */
export function flagActivity(
  ids: FederationIds,
  report: { id: string; reason: string; category?: ReportCategory | undefined },
  postId: string,
  target: FlagTarget,
  posterToken: string | null = null,
): Record<string, unknown> {
  const base = {
    "@context": posterToken === null ? AS_CONTEXT : activityContext(ids),
    id: `${ids.instanceActor()}/flags/${encodeURIComponent(report.id)}`,
    type: "Flag",
    actor: ids.instanceActor(),
    ...(posterToken === null ? {} : { posterToken }),
  };
  const text = report.category === undefined ? report.reason : `[${report.category}] ${report.reason}`;
  const reason = { summary: text, content: `<p>${escapeHtml(text)}</p>` };
  return target.kind === "group"
    ? { ...base, to: [target.group], audience: target.group, object: postId, ...reason }
    : { ...base, object: [target.author, postId], ...reason };
}

const CATEGORY_PREFIX = /^\[([a-z]{1,10})\]\s*/;

/** A Flag's text split into the category it starts with (as flagActivity writes it) and the rest. */
export function flagCategory(text: string): { category: ReportCategory | undefined; text: string } {
  const m = CATEGORY_PREFIX.exec(text);
  return m && isReportCategory(m[1])
    ? { category: m[1], text: text.slice(m[0].length) }
    : { category: undefined, text };
}

/**
 * Lemmy's `Resolve` of a report it sent about one of our posts, once staff here dealt with it: the
 * Flag embedded as Lemmy sent it, from the instance actor (which the board's moderators collection
 * lists), addressed like the Flag. Its id is derived from the Flag's, so it is sent once.
 */
export function resolveFlag(ids: FederationIds, flag: ReceivedFlag): Record<string, unknown> {
  const group = flag.to[0];
  return {
    "@context": AS_CONTEXT,
    id: `${ids.instanceActor()}/resolve/${digest(flag.id)}`,
    type: "Resolve",
    actor: ids.instanceActor(),
    to: flag.to,
    ...(group ? { audience: group } : {}),
    object: {
      id: flag.id,
      type: "Flag",
      actor: flag.actor,
      to: flag.to,
      object: flag.object,
      summary: flag.summary,
      ...(group ? { audience: group } : {}),
    },
  };
}
