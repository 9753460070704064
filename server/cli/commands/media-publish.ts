import { publishesNames } from "../../../storage/media/open-media-store.js";
import { S3MediaStore } from "../../../storage/media/s3-media-store.js";
import type { PostKey, PostRepository } from "../../domain/ports.js";
import type { PostFile } from "../../domain/post.js";
import { namesOf, PUBLISH_DEADLINE_MS } from "../../services/named-media.js";
import { type CliContext, type Subcommand, stringOption, UsageError } from "../command.js";

/** Posts read per page of the walk. */
const PAGE = 200;
/** Names failing in a row before the walk stops: the bucket is out of reach, not one object amiss. */
const FAILURES_IN_A_ROW = 10;

const KEY = /^([a-z0-9_]{1,32})\/([0-9]{1,15})$/;
const NAME = /^([a-z0-9_]{1,32})\/([0-9]{1,16})s?\.[a-z0-9]{1,5}$/;

/**
 * How old a name no post holds must be before --prune removes it. A post's names are copied before
 * the post is stored, and a post not stored within PUBLISH_DEADLINE_MS of its ids' reservation is
 * refused with its names removed; a day is far past that, and past any difference between the
 * bucket's clock (which dates the objects) and this machine's.
 */
const PRUNE_AGE_MS = Math.max(24 * 3_600_000, 100 * PUBLISH_DEADLINE_MS);

function parseAfter(value: string | undefined): PostKey | null {
  if (value === undefined) return null;
  const m = KEY.exec(value);
  if (!m)
    throw new UsageError(`--after takes board/number (as the progress lines print), not "${value}".`, "media publish");
  return { board: m[1]!, no: Number(m[2]) };
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

interface Tally {
  copied: number;
  there: number;
  failed: number;
  inARow: number;
}

/**
 * Publishes one file's names where missing. A name is copied only once HeadObject says it is absent,
 * so a second run copies nothing. After the copies the post is read again: a file deleted meanwhile
 * may have had its names removed before they were copied here, so they are removed again.
 */
async function publishFile(
  bucket: S3MediaStore,
  posts: Pick<PostRepository, "findFileByTim">,
  key: PostKey,
  file: PostFile,
  tally: Tally,
  ctx: CliContext,
): Promise<void> {
  const copied: string[] = [];
  for (const [name, sha256] of namesOf(key.board, file)) {
    try {
      if (await bucket.isPublished(name)) {
        tally.there++;
      } else {
        await bucket.publish?.(name, sha256).catch(async (e: unknown) => {
          const missing = await bucket.has(sha256).then(
            (has) => !has,
            () => false,
          );
          if (missing) throw new Error(`media/${sha256} is not in the bucket: run atoll media migrate --to s3 first`);
          throw e;
        });
        copied.push(name);
        tally.copied++;
      }
      tally.inARow = 0;
    } catch (e) {
      tally.failed++;
      tally.inARow++;
      ctx.err(`${key.board}/${key.no}  ${name}  FAILED: ${message(e)}`);
    }
  }
  if (copied.length === 0) return;
  try {
    const now = await posts.findFileByTim(key.board, file.tim);
    if (now?.sha256 === file.sha256) return;
    for (const name of copied) await bucket.unpublish?.(name);
    tally.copied -= copied.length;
  } catch (e) {
    tally.failed++;
    ctx.err(`${key.board}/${key.no}  ${copied.join(", ")}  FAILED to check the file is still there: ${message(e)}`);
  }
}

/**
 * Removes the names no post holds that are older than PRUNE_AGE_MS: copies left by a process that died
 * between copying a post's names and storing it, or by a deletion while the bucket did not answer.
 * Each is checked against the posts right before it goes.
 */
async function prune(
  bucket: S3MediaStore,
  posts: Pick<PostRepository, "findFileByTim">,
  ctx: CliContext,
  now: number,
): Promise<{ removed: number; failed: number }> {
  let removed = 0;
  let kept = 0;
  let recent = 0;
  let failed = 0;
  for await (const { name, modified } of bucket.publishedNames()) {
    const m = NAME.exec(name);
    if (!m) continue;
    if (modified > now - PRUNE_AGE_MS) {
      recent++;
      continue;
    }
    const board = m[1]!;
    try {
      const file = await posts.findFileByTim(board, Number(m[2]));
      if (file && namesOf(board, file).some(([held]) => held === name)) {
        kept++;
        continue;
      }
      await bucket.unpublish?.(name);
      removed++;
      ctx.out(`${name}  removed: no post holds it`);
    } catch (e) {
      failed++;
      ctx.err(`${name}  FAILED to prune: ${message(e)}`);
    }
  }
  ctx.out(
    `Pruned: ${removed} names no post holds removed, ${kept} held, ${recent} younger than a day left, ${failed} failed.`,
  );
  return { removed, failed };
}

export const mediaPublish: Subcommand = {
  name: "publish",
  summary: "copy every post's files to the names pages link in the bucket (MEDIA_URL at the bucket)",
  usage: "[--after board/number] [--prune]",
  details: [
    "--after B/N         start after post N of board B (a progress line's post), skipping those before",
    "--prune             then remove the names no post holds (left by a crash or by a deletion while",
    "                    the bucket did not answer), only those written more than a day ago, and",
    "                    only after a walk with no failure",
    "",
    "For an instance whose MEDIA_URL now points at the bucket (or a CDN in front of it): files posted",
    "before then have no copies under the names pages link ({board}/{tim}{ext}, {board}/{tim}s.jpg).",
    "This walks every post with files, on every board, live and archived, and copies (server-side)",
    "each name the bucket does not have yet. Names already there are left as they are, so it may run",
    "again after an interruption, and while the server runs. Needs MEDIA_STORE=s3, the S3_* variables",
    "and MEDIA_URL as the server has them, and the files in the bucket (atoll media migrate first).",
  ],
  options: { after: { type: "string" }, prune: { type: "boolean" } },
  positionals: { min: 0, max: 0, names: [] },
  async run(ctx, args) {
    const after = parseAfter(stringOption(args, "after"));
    const { config, store } = await ctx.services();
    const s3 = config.mediaStore;
    if (s3.kind !== "s3" || !publishesNames(config)) {
      throw new UsageError(
        "set MEDIA_STORE=s3, the S3_* variables and MEDIA_URL at the bucket (or its CDN), as the server has them: " +
          "names are published only when pages link the bucket.",
        "media publish",
      );
    }
    const bucket = new S3MediaStore(s3, { named: true });
    const tally: Tally = { copied: 0, there: 0, failed: 0, inARow: 0 };
    let walked = 0;
    /** The last post walked with no failure at or before it: where a new run may start after. */
    let clean: PostKey | null = after;
    let stopped = false;
    try {
      ctx.out(
        `${await store.posts.countPosts()} posts held; publishing their files' names in bucket ${s3.bucket}` +
          (after ? `, after ${after.board}/${after.no}` : ""),
      );
      let cursor = after;
      walk: for (;;) {
        const page = await store.posts.filesAfter(cursor, PAGE);
        for (const post of page) {
          const before = { ...tally };
          for (const file of post.files) {
            await publishFile(bucket, store.posts, post, file, tally, ctx);
            if (tally.inARow >= FAILURES_IN_A_ROW) {
              stopped = true;
              break walk;
            }
          }
          walked++;
          if (tally.failed === 0) clean = post;
          ctx.out(
            `${walked}  ${post.board}/${post.no}  ${tally.copied - before.copied} copied, ` +
              `${tally.there - before.there} already there${tally.failed > before.failed ? ", some FAILED" : ""}`,
          );
        }
        const last = page.at(-1);
        if (!last || page.length < PAGE) break;
        cursor = last;
      }
      ctx.out(
        `Done: ${walked} posts with files, ${tally.copied} names copied, ${tally.there} already there, ` +
          `${tally.failed} failed.`,
      );
      // Pruning waits for a walk with no failure: a bucket that just failed would fail it too.
      const wanted = args.values["prune"] === true && tally.failed === 0;
      const pruned = wanted ? await prune(bucket, store.posts, ctx, Date.now()) : null;
      if (pruned && pruned.failed > 0 && tally.failed === 0) {
        throw new Error(`${pruned.failed} names could not be pruned; run the command again to retry them.`);
      }
      if (tally.failed > 0) {
        const from = clean ? ` (--after ${clean.board}/${clean.no} skips the posts before the first failure)` : "";
        const why = stopped ? `the bucket failed ${FAILURES_IN_A_ROW} times in a row, so the walk stopped; ` : "";
        throw new Error(`${why}${tally.failed} names were not copied; run the command again to retry them${from}.`);
      }
    } finally {
      bucket.close();
    }
  },
};
