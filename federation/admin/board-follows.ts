import { isBoardUri } from "../../server/domain/board.js";
import { DomainError } from "../../server/domain/errors.js";
import type { Follow } from "../../server/domain/federation-ports.js";
import type { Store } from "../../server/domain/ports.js";
import type { BoardFollowView, FederationActions } from "../../server/services/federation-actions.js";
import { undoFollowActivity } from "../documents/follow.js";
import type { GuardedFetch } from "../http/guarded-fetch.js";
import type { FederationIds } from "../ids.js";
import { handleOf } from "../remote/actors.js";
import { sameId } from "../remote/fetch.js";
import type { SendActivity } from "../remote/follows.js";
import { type FollowTarget, parseFollowTarget, resolveHandle } from "./target.js";

export interface BoardFollowsDeps {
  store: Store;
  ids: FederationIds;
  /** The guarded client, for WebFinger. */
  http: GuardedFetch;
  /** Records the follow and sends the Follow (RemoteFollowing.followRemoteBoard). */
  follow(localBoard: string, groupId: string): Promise<Follow>;
  /** Sends an activity from a local actor to one inbox (onto the durable delivery queue). */
  send: SendActivity;
  allowPrivateAddresses: boolean;
}

/**
 * The operator's side of boards following remote groups. Following goes through RemoteFollowing;
 * this adds what operators type (a handle resolved through WebFinger), unfollowing, and listing.
 * Activities go onto the delivery queue: the worker of whichever process delivers for this store
 * sends them, so the command line, which has no worker, can use this too.
 */
export class BoardFollows implements Pick<FederationActions, "followBoard" | "unfollowBoard" | "listFollows"> {
  constructor(private readonly deps: BoardFollowsDeps) {}

  async followBoard(localBoard: string, target: string): Promise<BoardFollowView> {
    await this.requireBoard(localBoard);
    const parsed = this.parse(target);
    const groupId = parsed.kind === "url" ? parsed.url : await this.resolve(parsed);
    return this.view(await this.deps.follow(localBoard, groupId));
  }

  async unfollowBoard(localBoard: string, target: string): Promise<BoardFollowView> {
    await this.requireBoard(localBoard);
    const parsed = this.parse(target);
    const { store, ids, send } = this.deps;
    const follows = await store.federation.follows.followingOf(localBoard);
    // Matched against what is stored first, so a group whose server is gone can still be unfollowed.
    let follow = await this.match(follows, parsed);
    if (!follow && parsed.kind === "handle") {
      const groupId = await this.resolve(parsed);
      follow = follows.find((f) => sameId(f.objectId, groupId)) ?? null;
    }
    if (!follow) throw new DomainError("not_found", `/${localBoard}/ does not follow ${target.trim().slice(0, 200)}.`);

    const boardId = ids.board(localBoard);
    await send(boardId, follow.inbox, undoFollowActivity(boardId, follow));
    const view = await this.view(follow);
    await store.federation.follows.remove(follow.actorId, follow.objectId);
    return view;
  }

  async listFollows(localBoard: string): Promise<BoardFollowView[]> {
    await this.requireBoard(localBoard);
    const follows = await this.deps.store.federation.follows.followingOf(localBoard);
    return Promise.all(follows.map((f) => this.view(f)));
  }

  private parse(target: unknown): FollowTarget {
    const parsed = parseFollowTarget(target);
    const own =
      parsed.kind === "url" ? parsed.url.startsWith(`${this.deps.ids.publicUrl}/`) : this.isOwnHost(parsed.host);
    if (own) throw new DomainError("invalid", "Give a group on another instance, not one of this instance's boards.");
    return parsed;
  }

  private isOwnHost(host: string): boolean {
    return host === this.deps.ids.host.toLowerCase();
  }

  private resolve(target: { user: string; host: string }): Promise<string> {
    return resolveHandle(this.deps.http, target, this.deps.allowPrivateAddresses);
  }

  private async requireBoard(uri: string): Promise<void> {
    if (!isBoardUri(uri) || !(await this.deps.store.boards.get(uri))) {
      throw new DomainError("not_found", `There is no board /${String(uri).slice(0, 40)}/.`);
    }
  }

  /** The stored follow a target names: by actor id, or by the handle of the cached group actor. */
  private async match(follows: Follow[], target: FollowTarget): Promise<Follow | null> {
    if (target.kind === "url") return follows.find((f) => sameId(f.objectId, target.url)) ?? null;
    const wanted = `${target.user}@${target.host}`.toLowerCase();
    for (const f of follows) {
      const handle = await this.handleOf(f.objectId);
      if (handle !== null && handle.toLowerCase() === wanted) return f;
    }
    return null;
  }

  private async handleOf(actorId: string): Promise<string | null> {
    const actor = await this.deps.store.federation.actors.get(actorId);
    return actor ? handleOf(actor) : null;
  }

  private async view(f: Follow): Promise<BoardFollowView> {
    return {
      id: f.id,
      board: f.board,
      target: f.objectId,
      handle: await this.handleOf(f.objectId),
      state: f.state,
      createdAt: f.createdAt,
    };
  }
}
