import { isBoardUri } from "../../server/domain/board.js";
import type { HeldActivity } from "../../server/domain/defederation-ports.js";
import { DomainError } from "../../server/domain/errors.js";
import type { Follow } from "../../server/domain/federation-ports.js";
import type { FederationActions, FollowRequestView, HeldThreadView } from "../../server/services/federation-actions.js";
import { followAnswer } from "../documents/follow.js";
import { activityId } from "../documents/ids.js";
import { IgnoredActivity, InboxRefusal, type InboxResult, TransientFailure } from "../inbox/errors.js";
import { receiveCreate } from "../inbox/handlers/create.js";
import type { InboxDeps } from "../inbox/handlers/types.js";
import { checkShape, DEFAULT_SHAPE_LIMITS } from "../jsonld/shape.js";
import { handleOf } from "../remote/actors.js";
import { RemoteError } from "../remote/errors.js";
import { normalizeActivity } from "../vocab/normalize.js";

type SilenceActions = Pick<
  FederationActions,
  "listFollowRequests" | "authorizeFollowRequest" | "rejectFollowRequest" | "listHeld" | "approveHeld" | "rejectHeld"
>;

const PREVIEW_CHARS = 500;

/**
 * The moderator's side of silence: follows of a board from silenced domains wait here for
 * authorization (the board then sends its Accept) or rejection (its Reject), and new threads from
 * silenced domains wait, as received, for approval (then posted through the inbox's own Create
 * handler, as if they had just arrived) or rejection. Answers go onto the durable delivery queue.
 */
export class SilenceReview implements SilenceActions {
  /** `inbox`: the inbox's handler dependencies (store, ids, actors, outbox…). */
  constructor(private readonly inbox: InboxDeps) {}

  async listFollowRequests(localBoard: string): Promise<FollowRequestView[]> {
    await this.requireBoard(localBoard);
    const pending = await this.inbox.s.store.federation.follows.pendingFollowersOf(localBoard);
    return Promise.all(pending.map((f) => this.requestView(f)));
  }

  async authorizeFollowRequest(localBoard: string, id: string): Promise<FollowRequestView> {
    const follow = await this.request(localBoard, id);
    const { s, ids, outbox } = this.inbox;
    const boardId = ids.board(localBoard);
    const accepted = await s.store.federation.follows.accept(follow.actorId, boardId);
    if (!accepted) throw new DomainError("not_found", "The follow request is gone.");
    await outbox.send(boardId, follow.inbox, followAnswer("Accept", activityId(boardId, "accept"), boardId, follow));
    return this.requestView(accepted);
  }

  async rejectFollowRequest(localBoard: string, id: string): Promise<FollowRequestView> {
    const follow = await this.request(localBoard, id);
    const { s, ids, outbox } = this.inbox;
    const boardId = ids.board(localBoard);
    const view = await this.requestView(follow);
    await s.store.federation.follows.remove(follow.actorId, boardId);
    await outbox.send(boardId, follow.inbox, followAnswer("Reject", activityId(boardId, "reject"), boardId, follow));
    return view;
  }

  async listHeld(board?: string): Promise<HeldThreadView[]> {
    if (board !== undefined) await this.requireBoard(board);
    const held = await this.inbox.s.store.defederation.held.list(board);
    return held.map(heldView);
  }

  async approveHeld(id: string): Promise<{ held: HeldThreadView; outcome: InboxResult["outcome"]; detail: string }> {
    const { s } = this.inbox;
    const held = await this.held(id);
    const view = heldView(held);
    if (s.policy.checkUrl(held.actorId, held.board).suspended) {
      throw new DomainError("forbidden", `${held.domain} is suspended; the thread can only be rejected.`);
    }
    let json: unknown;
    try {
      json = JSON.parse(held.activity);
      checkShape(json, DEFAULT_SHAPE_LIMITS);
    } catch {
      throw new DomainError("unprocessable", "The held activity cannot be read.");
    }
    const activity = normalizeActivity(json);
    if (!activity.ok || activity.type !== "Create" || activity.actor !== held.actorId) {
      throw new DomainError("unprocessable", "The held activity is not a usable Create.");
    }
    let result: InboxResult;
    try {
      result = await receiveCreate(
        this.inbox,
        { activity, json: json as Record<string, unknown>, board: held.board, signer: null },
        { hold: false },
      );
    } catch (err) {
      if (err instanceof IgnoredActivity) result = { outcome: "ignored", detail: err.message };
      else if (err instanceof TransientFailure || (err instanceof RemoteError && err.transient)) {
        throw new DomainError("busy", `The thread cannot be posted now, try again later: ${err.message}`);
      } else if (err instanceof InboxRefusal || err instanceof RemoteError) {
        throw new DomainError("unprocessable", `The thread cannot be posted now: ${err.message}`);
      } else throw err;
    }
    await s.store.defederation.held.remove(held.id);
    return { held: view, ...result };
  }

  async rejectHeld(id: string): Promise<HeldThreadView> {
    const held = await this.held(id);
    await this.inbox.s.store.defederation.held.remove(held.id);
    return heldView(held);
  }

  private async held(id: string): Promise<HeldActivity> {
    if (typeof id !== "string" || id === "") throw new DomainError("not_found", "No such held thread.");
    const held = await this.inbox.s.store.defederation.held.get(id);
    if (!held) throw new DomainError("not_found", "No such held thread.");
    return held;
  }

  /** The board's pending inbound follow named by its Follow id or by the follower's actor id. */
  private async request(localBoard: string, id: string): Promise<Follow> {
    await this.requireBoard(localBoard);
    const follows = this.inbox.s.store.federation.follows;
    const boardId = this.inbox.ids.board(localBoard);
    const found =
      typeof id === "string" && id !== "" ? ((await follows.getById(id)) ?? (await follows.get(id, boardId))) : null;
    if (found?.direction !== "inbound" || found.objectId !== boardId || found.state !== "pending") {
      throw new DomainError("not_found", `/${localBoard}/ has no such follow request.`);
    }
    return found;
  }

  private async requireBoard(uri: string): Promise<void> {
    if (!isBoardUri(uri) || !(await this.inbox.s.store.boards.get(uri))) {
      throw new DomainError("not_found", `There is no board /${String(uri).slice(0, 40)}/.`);
    }
  }

  private async requestView(f: Follow): Promise<FollowRequestView> {
    const actor = await this.inbox.s.store.federation.actors.get(f.actorId);
    return {
      id: f.id,
      board: f.board,
      actor: f.actorId,
      handle: actor ? handleOf(actor) : null,
      domain: f.domain,
      createdAt: f.createdAt,
    };
  }
}

/** What a moderator sees of a held thread: read from the activity as received, never trusted further. */
function heldView(h: HeldActivity): HeldThreadView {
  let objectId: string | null = null;
  let subject: string | null = null;
  let text = "";
  try {
    const json = JSON.parse(h.activity) as Record<string, unknown>;
    const object = json["object"];
    if (typeof object === "string") objectId = object;
    else if (object !== null && typeof object === "object") {
      const o = object as Record<string, unknown>;
      if (typeof o["id"] === "string") objectId = o["id"];
      if (typeof o["name"] === "string") subject = o["name"].slice(0, 200);
      if (typeof o["content"] === "string") text = plainText(o["content"]);
    }
  } catch {
    // A held activity is stored as valid JSON; an unreadable one shows without its content.
  }
  return {
    id: h.id,
    board: h.board,
    domain: h.domain,
    actor: h.actorId,
    objectId,
    subject,
    text,
    receivedAt: h.receivedAt,
    reason: h.reason ?? "Its domain is silenced on the board.",
  };
}

/** A short plain-text preview of HTML content (for the JSON answer only; never rendered as HTML). */
function plainText(html: string): string {
  return html
    .slice(0, PREVIEW_CHARS * 4)
    .replace(/<br\s*\/?>|<\/p>/gi, "\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .trim()
    .slice(0, PREVIEW_CHARS);
}
