import type { Document } from "mongodb";
import type { ThreadOrder } from "../../server/domain/ports.js";
import { COLLECTIONS } from "./documents.js";

const ORDER_FIELD: Record<ThreadOrder, "bumpedAt" | "createdAt" | "replyCount"> = {
  bump: "bumpedAt",
  created: "createdAt",
  replies: "replyCount",
};

export const THREAD_ORDERS = Object.keys(ORDER_FIELD) as ThreadOrder[];

/**
 * One aggregation on `threads` for an index page: the page of threads in order, each joined to its
 * OP by the unique (board, no) index. `board` is a checked string and only ever appears under
 * `$eq`; everything else in the pipeline is a constant or a checked number.
 */
export function listingPipeline(
  board: string,
  archived: boolean,
  order: ThreadOrder,
  offset: number,
  limit: number,
): Document[] {
  const field = ORDER_FIELD[order];
  const live = !archived;
  return [
    { $match: { board: { $eq: board }, archived } },
    // live listings put stickies first, among themselves in bump order
    ...(live ? [{ $addFields: { stickyBump: { $cond: [{ $eq: ["$sticky", true] }, "$bumpedAt", 0] } } }] : []),
    { $sort: live ? { sticky: -1, stickyBump: -1, [field]: -1, no: -1 } : { [field]: -1, no: -1 } },
    { $skip: offset },
    { $limit: limit },
    {
      $lookup: {
        from: COLLECTIONS.posts,
        localField: "no",
        foreignField: "no",
        pipeline: [{ $match: { board: { $eq: board } } }, { $limit: 1 }],
        as: "op",
      },
    },
  ];
}

/**
 * One aggregation for the last `n` replies of several threads: per thread, the (board, threadNo,
 * no) index is read backwards for `n` entries, however long the thread is. Replies come newest
 * first; the caller reverses them.
 */
export function lastRepliesPipeline(board: string, threadNos: number[], n: number): Document[] {
  return [
    { $match: { board: { $eq: board }, no: { $in: threadNos } } },
    {
      $lookup: {
        from: COLLECTIONS.posts,
        localField: "no",
        foreignField: "threadNo",
        pipeline: [{ $match: { board: { $eq: board }, op: false } }, { $sort: { no: -1 } }, { $limit: n }],
        as: "replies",
      },
    },
    { $project: { _id: 0, no: 1, replies: 1 } },
  ];
}
