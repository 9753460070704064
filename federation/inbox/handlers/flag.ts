import { randomUUID } from "node:crypto";
import { domainOfUrl } from "../../../server/domain/defederation/rules.js";
import type { Post } from "../../../server/domain/post.js";
import type { ReceivedFlag, Report } from "../../../server/domain/staff.js";
import { MAX_REPORT_REASON } from "../../../server/services/moderation.js";
import { flagCategory } from "../../documents/flag.js";
import type { NormalizedActivity } from "../../vocab/types.js";
import { accepted, ignored } from "../errors.js";
import { resolveLocalPost } from "../local-posts.js";
import { plainText } from "../sanitize.js";
import type { Handler } from "./types.js";

/** Most posts one Flag may put in the reports queue. */
const MAX_REPORTED_POSTS = 20;

/**
 * The Flag to answer with a `Resolve` once the report is dealt with, when the sender reads one:
 * Lemmy (and software speaking its protocol) reports one post to the community, naming the board's
 * actor in `to`. A Mastodon-style report (to the instance, account and posts as objects) is not
 * answered: Mastodon has no activity for it.
 */
function answerable(activity: NormalizedActivity, board: string, comment: string): { flag?: ReceivedFlag } {
  const [object] = activity.objectIds;
  if (activity.objectIds.length !== 1 || object === undefined || !activity.to.includes(board)) return {};
  return { flag: { id: activity.id, actor: activity.actor, to: [board], object, summary: comment } };
}

/**
 * A report from another server (Mastodon sends `Flag` to the instance actor's or the shared inbox:
 * `object` names the reported account and posts, `content` is the reporter's comment). Each of our
 * posts it names goes into the local reports queue, with the reason and the reporting domain; ids
 * of accounts and of anything not held here are passed over. A domain whose reports are rejected
 * (`reject_reports`, for the instance or the post's board) is answered 202 and nothing is stored.
 * Each report keeps the reporting domain as its origin, shown in the queue. A Flag from another
 * Atoll may name the poster token its mirror of the post carries: it is kept with the report only
 * when it is the reported post's own, and a Flag naming a token none of its posts carries (forged,
 * another board's, or a post's token that was never ours) files nothing.
 */
export const handleFlag: Handler = async (deps, { activity }) => {
  const { s, ids } = deps;
  const host = domainOfUrl(activity.actor);
  if (host === null) return ignored("The report's actor has no usable host.");
  if (s.policy.check(host).rejectReports) {
    s.logger.info("inbox: dropped a report from a domain whose reports are rejected", { id: activity.id, host });
    return ignored(`Reports from ${host} are not taken.`);
  }
  const sent = plainText(activity.content ?? activity.summary ?? "");
  // A category the sender put first (as Atoll writes it) is kept apart from the reason.
  const { category, text: comment } = flagCategory(sent);
  const prefix = `Report from ${host}`;
  const reason = (comment === "" ? prefix : `${prefix}: ${comment}`).slice(0, MAX_REPORT_REASON);

  const posts: Post[] = [];
  const seen = new Set<string>();
  for (const id of activity.objectIds) {
    if (posts.length >= MAX_REPORTED_POSTS) break;
    // Only our own ids: a Flag is sent to the server the reported content lives on.
    if (!id.startsWith(`${ids.publicUrl}/`)) continue;
    const post = await resolveLocalPost(s, id);
    if (!post || seen.has(`${post.board}/${post.no}`)) continue;
    seen.add(`${post.board}/${post.no}`);
    posts.push(post);
  }
  if (posts.length === 0) return ignored("The report names none of our posts.");
  const token = activity.posterToken;
  if (token !== undefined) {
    const carrying = posts.filter((p) => p.posterToken === token && p.apId === null);
    if (carrying.length === 0) {
      s.logger.info("inbox: dropped a report naming a poster token none of its posts carries", {
        id: activity.id,
        host,
      });
      return ignored("The report names a poster token none of the reported posts carries.");
    }
    posts.splice(0, posts.length, ...carrying);
  }

  let filed = 0;
  let rejected = 0;
  const openByBoard = new Map<string, Report[]>();
  for (const post of posts) {
    if (s.policy.check(host, post.board).rejectReports) {
      rejected++;
      continue;
    }
    let open = openByBoard.get(post.board);
    if (!open) {
      open = await s.store.reports.listOpen([post.board]);
      openByBoard.set(post.board, open);
    }
    // The same report delivered again (a retry, or to two inboxes) is filed once.
    if (open.some((r) => r.postNo === post.no && r.reason === reason)) continue;
    const report: Report = {
      id: randomUUID(),
      board: post.board,
      postNo: post.no,
      reason,
      ...(category === undefined ? {} : { category }),
      createdAt: s.clock(),
      ipHash: null,
      resolved: false,
      origin: host,
      ...answerable(activity, ids.board(post.board), sent),
      ...(token === undefined ? {} : { posterToken: token }),
    };
    await s.store.reports.create(report);
    open.push(report);
    filed++;
  }
  if (rejected > 0) s.logger.info("inbox: report on a board that rejects the domain's reports", { host, rejected });
  if (filed === 0) return ignored("Nothing new to report.");
  s.logger.info("inbox: report filed from another server", { id: activity.id, host, posts: filed });
  return accepted(`Filed ${filed} report${filed === 1 ? "" : "s"}.`);
};
