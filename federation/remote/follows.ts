import { randomUUID } from "node:crypto";
import { DomainError } from "../../server/domain/errors.js";
import type { Follow } from "../../server/domain/federation-ports.js";
import type { Services } from "../../server/services/container.js";
import { followActivity } from "../documents/follow.js";
import type { FederationIds } from "../ids.js";
import type { RemoteActors } from "./actors.js";
import { RemoteError } from "./errors.js";
import { domainOf } from "./fetch.js";

/** Sends an activity from a local actor to one inbox (the inbox's outbox, or the delivery queue). */
export type SendActivity = (actorId: string, inbox: string, activity: Record<string, unknown>) => Promise<void>;

/**
 * A local board following a remote group (a Lemmy community, an Mbin magazine, another Atoll
 * board), so that the group's Announces are mirrored into the board once it accepts.
 */
export class RemoteFollowing {
  constructor(
    private readonly s: Pick<Services, "store" | "clock">,
    private readonly ids: FederationIds,
    private readonly actors: RemoteActors,
    private readonly send: SendActivity,
  ) {}

  /**
   * Fetches the group, records an outbound follow (pending until its Accept arrives) and sends the
   * Follow, signed by the board. Following again re-sends the same Follow (a lost delivery, or a
   * group that forgot us) and keeps the follow's state. Throws DomainError: "not_found" for an
   * unknown local board, "invalid" for something that is not a remote group, "unprocessable" when
   * the group cannot be fetched.
   */
  async followRemoteBoard(localBoard: string, remoteGroupId: string): Promise<Follow> {
    const board = await this.s.store.boards.get(localBoard);
    if (!board) throw new DomainError("not_found", `There is no board /${localBoard}/.`);
    if (typeof remoteGroupId !== "string" || remoteGroupId.startsWith(`${this.ids.publicUrl}/`)) {
      throw new DomainError("invalid", "Give the id of a group on another instance.");
    }
    let group: Awaited<ReturnType<RemoteActors["get"]>>;
    try {
      group = await this.actors.get(remoteGroupId, { refresh: true });
    } catch (err) {
      if (err instanceof RemoteError)
        throw new DomainError("unprocessable", `The group could not be fetched: ${err.message}`);
      throw err;
    }
    if (group.type !== "Group") throw new DomainError("invalid", `${group.id} is a ${group.type}, not a Group.`);

    const boardId = this.ids.board(board.uri);
    const { follow } = await this.s.store.federation.follows.add({
      id: `${boardId}/activities/follow/${randomUUID()}`,
      actorId: boardId,
      objectId: group.id,
      board: board.uri,
      direction: "outbound",
      state: "pending",
      inbox: group.inbox,
      sharedInbox: group.sharedInbox,
      domain: domainOf(group.id),
      createdAt: this.s.clock(),
    });
    await this.send(boardId, group.inbox, followActivity(follow.id, boardId, group.id));
    return follow;
  }
}
