import request from "supertest";
import type { BoardDomainRule, DomainAllow, DomainBlock } from "../../server/domain/defederation/rules.js";
import type { TestInstance } from "./instance.js";

/*
 * What the tests of what readers see share: the three remote servers, rules put in force directly,
 * posting as the inbox stores remote posts, and the boards of local and remote threads they read.
 */

export const BAD = "bad.example";
export const QUIET = "quiet.example";
export const FINE = "fine.example";

/** A board's own rule on `domain`. */
export function boardRule(board: string, domain: string, severity: "silence" | "suspend"): BoardDomainRule {
  return { id: `rule-${board}-${domain}`, board, domain, severity, rejectMedia: false, comment: "", createdAt: 0 };
}

/** An allowlist entry for `domain`. */
export function allow(domain: string): DomainAllow {
  return { id: `allow-${domain}`, domain, comment: "", createdAt: 0 };
}

/** Puts rules in force on an instance, as the moderation service does after a change. */
export function setRules(
  t: TestInstance,
  rules: { blocks?: DomainBlock[]; boardRules?: BoardDomainRule[]; allows?: DomainAllow[] } = {},
): void {
  const { policy } = t.services;
  policy.replace(
    policy.compile({ blocks: rules.blocks ?? [], allows: rules.allows ?? [], boardRules: rules.boardRules ?? [] }),
  );
}

/**
 * Posting helpers on one instance, calling `tick` before each post (a clock moved a second per post
 * keeps the bump order clear).
 */
export function poster(t: TestInstance, tick: () => void) {
  let seq = 0;
  return {
    async local(board: string, threadNo: number | null, text: string): Promise<number> {
      tick();
      const input = { board, comment: text, ip: "198.51.100.7" };
      const post =
        threadNo === null
          ? await t.services.posting.createThread(input)
          : await t.services.posting.createReply({ ...input, threadNo });
      return post.no;
    },
    async remote(board: string, threadNo: number | null, domain: string, text: string): Promise<number> {
      tick();
      const { post } = await t.services.posting.createRemote({
        board,
        threadNo,
        name: `someone@${domain}`,
        subject: null,
        comment: text,
        apId: `https://${domain}/notes/${++seq}`,
        fediActor: `https://${domain}/users/someone`,
      });
      return post.no;
    },
  };
}

export interface FourchanPost {
  no: number;
  replies?: number;
  last_replies?: FourchanPost[];
}
export type Pages = Array<{ page: number; threads: FourchanPost[] }>;

/** The numbers of the threads of a listing's pages. */
export const threadNos = (pages: Pages) => pages.flatMap((p) => p.threads.map((t) => t.no));
/** How many threads an HTML index page shows. */
export const threadCount = (page: string) => (page.match(/<div class="thread" id="t\d+"/g) ?? []).length;

/** A GET on `t`'s app, with a Cookie header when given. */
export function reader(t: TestInstance): (path: string, cookie?: string) => request.Test {
  return (path, cookie) => {
    const req = request(t.app).get(path);
    return cookie ? req.set("Cookie", cookie) : req;
  };
}

/** The thread and post numbers seedBoards made, by what they are. */
export interface SeededBoards {
  alpha: number;
  alphaReplies: number[];
  quietReplyInAlpha: number;
  badRepliesInAlpha: number[];
  badThread: number;
  badThreadLocalReply: number;
  quietThread: number;
  quietThreadQuietReply: number;
  fineThread: number;
  cFineThread: number;
  badArchived: number;
  quietArchived: number;
  localArchived: number;
}

/**
 * Boards /b/ and /c/ with threads and replies from local posters and the three servers, some of them
 * archived, and /p/ with eleven threads in pages of three, four of them from BAD. `tick` runs before
 * each post, so the test's clock can move between them.
 */
export async function seedBoards(t: TestInstance, tick: () => void): Promise<SeededBoards> {
  const settings = { requireImageForThread: false };
  await t.services.boards.create({ uri: "b", title: "Random", settings });
  await t.services.boards.create({ uri: "c", title: "Other", settings });
  await t.services.boards.create({ uri: "p", title: "Pages", settings: { ...settings, threadsPerPage: 3 } });
  const p = poster(t, tick);

  // Archived threads first, so the live ones stay on top of the archive's order.
  const badArchived = await p.remote("b", null, BAD, "BAD-ARCHIVED");
  const quietArchived = await p.remote("b", null, QUIET, "QUIET-ARCHIVED");
  const localArchived = await p.local("b", null, "LOCAL-ARCHIVED");
  for (const no of [badArchived, quietArchived, localArchived])
    await t.services.store.posts.setThreadFlags("b", no, { archived: true });

  const badThread = await p.remote("b", null, BAD, "BAD-OP");
  const badThreadLocalReply = await p.local("b", badThread, "BAD-THREAD-LOCAL-REPLY");
  const quietThread = await p.remote("b", null, QUIET, "QUIET-OP");
  await p.local("b", quietThread, "QUIET-THREAD-LOCAL-REPLY");
  const quietThreadQuietReply = await p.remote("b", quietThread, QUIET, "QUIET-THREAD-QUIET-REPLY");
  const fineThread = await p.remote("b", null, FINE, "FINE-OP");
  // A local thread whose last replies, the ones an index page shows, come from limited servers.
  const alpha = await p.local("b", null, "ALPHA-OP");
  const alphaReplies: number[] = [];
  for (let i = 1; i <= 6; i++) alphaReplies.push(await p.local("b", alpha, `ALPHA-R${i}.`));
  const quietReplyInAlpha = await p.remote("b", alpha, QUIET, "QUIET-REPLY-IN-ALPHA");
  const badRepliesInAlpha: number[] = [];
  for (let i = 1; i <= 5; i++) badRepliesInAlpha.push(await p.remote("b", alpha, BAD, `BAD-REPLY-${i}.`));

  const cFineThread = await p.remote("c", null, FINE, "C-FINE-OP");

  // /p/: eleven threads, four of them from the server that gets suspended.
  for (let i = 1; i <= 11; i++) {
    if (i % 3 === 2) await p.remote("p", null, BAD, `P-BAD-${i}.`);
    else await p.local("p", null, `P-LOCAL-${i}.`);
  }
  return {
    alpha,
    alphaReplies,
    quietReplyInAlpha,
    badRepliesInAlpha,
    badThread,
    badThreadLocalReply,
    quietThread,
    quietThreadQuietReply,
    fineThread,
    cFineThread,
    badArchived,
    quietArchived,
    localArchived,
  };
}
