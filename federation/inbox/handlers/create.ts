import type { Board } from "../../../server/domain/board.js";
import type { HeldReason } from "../../../server/domain/defederation-ports.js";
import type { RemoteActor } from "../../../server/domain/federation-ports.js";
import { PostHeld } from "../../../server/services/held-posts.js";
import { type RefusedCreate, rejectCreate } from "../../documents/reject.js";
import { RemoteError } from "../../remote/errors.js";
import { AS_PUBLIC, type NormalizedObject } from "../../vocab/normalize.js";
import { type Placement, placeReply } from "../ancestors.js";
import {
  accepted,
  forbidden,
  type InboxResult,
  ignored,
  malformed,
  PostRefused,
  rejected,
  TransientFailure,
} from "../errors.js";
import { mirrorBan } from "../mirror-post.js";
import { announceAccepted } from "../outbox.js";
import { POST_TYPES, storeNote, visibleOnBoard } from "../remote-note.js";
import { embeddedJson, trustedObject } from "../trust.js";
import { actorDomain, silencedOn } from "./silence.js";
import type { Handler, Inbound, InboxDeps } from "./types.js";

/**
 * Create of a Note (or Page, Article) that belongs here: a reply to one of our posts (or to a remote
 * post we hold) becomes a reply in that thread; a top-level post addressed to a board, or mentioning
 * it, becomes a new thread there. The board then announces what it accepted to its followers.
 */
export const handleCreate: Handler = (deps, inbound) => receiveCreate(deps, inbound, { hold: true });

/**
 * The Create handler. A new thread from a domain silenced on its board is held for a moderator
 * (`store.defederation.held`, the activity as received) instead of being posted; approving it runs it
 * through here again with `hold: false`, so it is posted exactly as if it had just arrived.
 */
export async function receiveCreate(
  deps: InboxDeps,
  { activity, json, board: inboxBoard, signer, lastChance = false }: Inbound,
  opts: { hold: boolean },
): Promise<InboxResult> {
  const ref = activity.object;
  if (ref === undefined) throw malformed("The Create names no object.");
  if (typeof ref !== "string" && ref.kind !== "object") return ignored(`Create of a ${ref.type} is not handled.`);
  const trusted = await trustedObject(deps, activity.actor, ref, embeddedJson(json));
  const note = trusted.document;
  if (note.kind !== "object") return ignored(`Create of a ${note.type} is not handled.`);
  if (!POST_TYPES.has(note.type)) return ignored(`Create(${note.type}) is not handled.`);
  if (note.attributedTo !== activity.actor) throw forbidden("The object is not attributed to the actor creating it.");
  const existing = await deps.s.store.federation.remotePosts.get(note.id);
  if (existing) {
    // Taken before by a process that may have died before passing it on (the activity was not
    // recorded as received, or it would not be here): passing it on again is harmless, since the
    // delivery queue keys its items by activity and inbox.
    await announceAccepted(deps.outbox, deps.s.logger, existing.board, { ...json, object: trusted.json as object });
    return ignored("The object is already here.");
  }

  const target = await placeOf(deps, note, inboxBoard, lastChance);
  if (target === null) return ignored("Neither a reply to a post here nor addressed to a board.");
  const boardId = deps.ids.board(target.board.uri);
  if (!visibleOnBoard(note, boardId)) return ignored("The object is neither public nor addressed to the board.");
  const ban = await mirrorBan(deps, target.board.uri, activity.actor);
  if (ban) throw forbidden(`${activity.actor} is banned from ${ban.groupId}, which /${target.board.uri}/ follows.`);
  const hold = async (reason: HeldReason) => {
    const held = await deps.s.store.defederation.held.add({
      id: activity.id,
      board: target.board.uri,
      domain: actorDomain(activity.actor),
      actorId: activity.actor,
      activity: JSON.stringify(json),
      receivedAt: deps.s.clock(),
      reason,
    });
    const why = reason === "probation" ? ` (${actorDomain(activity.actor)} is on probation)` : "";
    return accepted(held ? `Held for a moderator of /${target.board.uri}/${why}.` : "Already held for a moderator.");
  };
  const holdFor =
    opts.hold && target.threadNo === null ? await holdReason(deps, activity.actor, target.board.uri) : null;
  if (holdFor !== null) return hold(holdFor);

  let stored: Awaited<ReturnType<typeof storeNote>>;
  try {
    // A post a word filter holds waits with the held threads; approving it posts it.
    const filterHold = opts.hold ? "hold" : "post";
    stored = await storeNote(deps, note, { ...target, author: activity.actor, signer, lastChance, filterHold });
  } catch (err) {
    if (err instanceof PostHeld) return hold(err.reason || "word filter");
    if (!(err instanceof PostRefused)) throw err;
    await sendReject(deps, boardId, { id: activity.id, actor: activity.actor, object: note.id }, err.reason, signer);
    return rejected(`Not posted on /${target.board.uri}/: ${err.reason}`);
  }
  const { post } = stored;

  // Announce what was accepted, as received, or with the copy fetched from the origin.
  const announced: Record<string, unknown> = {
    ...json,
    object: trusted.json as Record<string, unknown>,
  };
  await announceAccepted(deps.outbox, deps.s.logger, target.board.uri, announced);
  const where = post.no === post.threadNo ? `thread /${post.board}/${post.no}` : `reply /${post.board}/${post.no}`;
  return accepted(`Posted as ${where}${stored.imageRefused ? ` without its image (${stored.imageRefused})` : ""}.`);
}

/**
 * Why a new thread from the actor waits for a moderator, if it does: its domain is silenced on the
 * board, or on probation (a host first seen less than PEER_PROBATION_DAYS ago, not vouched for).
 * Replies are never held: they join threads someone here already accepted.
 */
async function holdReason(deps: InboxDeps, actor: string, board: string): Promise<HeldReason | null> {
  if (silencedOn(deps.s, actor, board)) return "silenced";
  const domain = actorDomain(actor);
  return domain !== "" && (await deps.s.probation.onProbation(domain)) ? "probation" : null;
}

/**
 * Tells the author why the board did not take the post: a Reject on the delivery queue, to the
 * author's own inbox (the refusal concerns no one else). Queued before the activity is recorded as
 * received, so a store failure here makes the sender's next try decide again rather than lose it.
 */
async function sendReject(
  deps: InboxDeps,
  boardId: string,
  create: RefusedCreate,
  reason: string,
  signer: RemoteActor | null,
): Promise<void> {
  let inbox: string;
  try {
    inbox = signer?.id === create.actor ? signer.inbox : (await deps.actors.get(create.actor)).inbox;
  } catch (err) {
    if (err instanceof RemoteError && err.transient) throw new TransientFailure(err.message);
    if (err instanceof RemoteError) return; // the author is gone: no one to tell
    throw err;
  }
  await deps.outbox.send(boardId, inbox, rejectCreate(boardId, create, reason));
}

/**
 * Where the object goes: the thread it replies to (its missing parents fetched first, see
 * placeReply), or the board it is addressed to. A chain of replies may start a thread only where a
 * top-level post could: addressed to a board, public or to the board, from a domain neither silenced
 * there nor on probation.
 */
async function placeOf(
  deps: InboxDeps,
  note: NormalizedObject,
  inboxBoard: string | null,
  lastChance: boolean,
): Promise<Placement | null> {
  if (note.inReplyTo !== undefined) {
    return placeReply(deps, note.inReplyTo, {
      lastChance,
      fetch: addressesUs(deps, note),
      rootBoard: async (root) => {
        const board = await addressedBoard(deps, root, inboxBoard);
        if (!board || !visibleOnBoard(root, deps.ids.board(board.uri))) return null;
        // A thread that would wait for a moderator as a top-level post is not started by a reply either.
        return root.attributedTo !== undefined && (await holdReason(deps, root.attributedTo, board.uri)) !== null
          ? null
          : board;
      },
    });
  }
  const board = await addressedBoard(deps, note, inboxBoard);
  return board ? { board, threadNo: null } : null;
}

/** Whether the object is addressed to, or mentions, one of our actors (a board, the anonymous author…). */
function addressesUs(deps: InboxDeps, note: NormalizedObject): boolean {
  const prefix = `${deps.ids.publicUrl}/`;
  const named = [
    ...note.to,
    ...note.cc,
    ...note.audience,
    ...note.tag.flatMap((t) => (t.type === "Mention" ? [t.href] : [])),
  ];
  return named.some((id) => id.startsWith(prefix));
}

/** The first existing board the object is addressed to or mentions (the inbox's board first). */
export async function addressedBoard(
  deps: InboxDeps,
  note: NormalizedObject,
  preferred: string | null,
): Promise<Board | null> {
  const candidates = [
    ...note.to,
    ...note.cc,
    ...note.audience,
    ...note.tag.flatMap((t) => (t.type === "Mention" ? [t.href] : [])),
  ];
  const uris = new Set<string>();
  for (const id of candidates) {
    if (id === AS_PUBLIC) continue;
    const uri = deps.ids.boardOf(id);
    if (uri !== null) uris.add(uri);
  }
  const ordered = preferred !== null && uris.has(preferred) ? [preferred, ...uris] : [...uris];
  for (const uri of ordered.slice(0, 8)) {
    const board = await deps.s.store.boards.get(uri);
    if (board) return board;
  }
  return null;
}
