import { DomainError } from "../../server/domain/errors.js";
import type { RemoteBan } from "../../server/domain/remote-bans.js";
import type { Services } from "../../server/services/container.js";
import { announceBlock, blockActivity, undoBlockActivity } from "../documents/block.js";
import { withActivityContext } from "../documents/context.js";
import type { GuardedFetch } from "../http/guarded-fetch.js";
import type { FederationIds } from "../ids.js";
import { handleOf, type RemoteActors } from "../remote/actors.js";
import { RemoteError } from "../remote/errors.js";
import type { SendActivity } from "../remote/follows.js";
import { parseFollowTarget, resolveHandle } from "./target.js";

export interface RemoteBanFederationDeps {
  s: Pick<Services, "store" | "logger" | "clock">;
  ids: FederationIds;
  /** The guarded client, for WebFinger. */
  http: GuardedFetch;
  actors: RemoteActors;
  /** The inboxes of a board's followers, one per shared inbox, domain rules applied. */
  followerInboxes(board: string): Promise<string[]>;
  /** The staff Person of `username` on `board`, who signs that board's bans. */
  staffActor(board: string, username: string): string;
  /** Sends an activity from a local actor to one inbox (onto the durable delivery queue). */
  send: SendActivity;
  allowPrivateAddresses: boolean;
}

/**
 * The federation's side of bans of remote accounts: finding the account staff named, and telling
 * others of a ban the way Lemmy does. A board ban is the `Block` of the staff Person who banned
 * (Lemmy applies a community ban only from one of the community's moderators), sent to the
 * account's server and to the board's followers as the board's `Announce` of it; an instance-wide
 * ban (Lemmy's site ban) goes as the instance actor's `Block` to the account's server and to every
 * server following a board.
 * Lifting a ban sends the `Undo` of the same Block the same way.
 */
export class RemoteBanFederation {
  constructor(private readonly deps: RemoteBanFederationDeps) {}

  /** The actor id (and `name@host`) of an actor URL or a handle; DomainError when it cannot be found. */
  async resolveAccount(target: string): Promise<{ id: string; handle: string | null }> {
    if (typeof target !== "string" || target.trim() === "") {
      throw new DomainError("invalid", "actor: an actor URL, or a handle such as user@host.");
    }
    let parsed: ReturnType<typeof parseFollowTarget>;
    try {
      parsed = parseFollowTarget(target);
    } catch {
      throw new DomainError("invalid", "actor: an actor URL, or a handle such as user@host.");
    }
    if (parsed.kind === "handle") {
      const id = await resolveHandle(this.deps.http, parsed, this.deps.allowPrivateAddresses);
      return { id, handle: `${parsed.user}@${parsed.host}` };
    }
    const known = await this.deps.actors.cached(parsed.url);
    return { id: parsed.url, handle: known ? handleOf(known) : null };
  }

  /** Queues the Block of a new ban, or the Undo of a lifted one, for everyone who should know. */
  async announce(ban: RemoteBan, lifted: boolean): Promise<number> {
    const { ids, s } = this.deps;
    const now = s.clock();
    const by = ban.board === null ? undefined : this.deps.staffActor(ban.board, ban.createdBy);
    const activity = lifted ? undoBlockActivity(ids, ban, now, by) : blockActivity(ids, ban, by);
    const signer = String(activity["actor"]);
    const direct = new Set<string>();
    const accountInbox = await this.accountInbox(ban.actorId);
    if (accountInbox !== null) direct.add(accountInbox);
    let sent = 0;
    if (ban.board !== null) {
      const followers = await this.deps.followerInboxes(ban.board);
      const announce = announceBlock(ids, ban.board, activity, now);
      for (const inbox of followers) {
        await this.deps.send(ids.board(ban.board), inbox, announce);
        sent++;
      }
      // The account's own server hears it once: through the Announce when it follows the board.
      for (const inbox of followers) direct.delete(inbox);
    } else {
      for (const board of await s.store.boards.list()) {
        for (const inbox of await this.deps.followerInboxes(board.uri)) direct.add(inbox);
      }
    }
    const body = withActivityContext(ids, activity);
    for (const inbox of direct) {
      await this.deps.send(signer, inbox, body);
      sent++;
    }
    return sent;
  }

  /** The account's shared inbox (else its inbox), or null when the account cannot be reached. */
  private async accountInbox(actorId: string): Promise<string | null> {
    try {
      const actor = await this.deps.actors.get(actorId);
      return actor.sharedInbox ?? actor.inbox;
    } catch (err) {
      if (!(err instanceof RemoteError)) throw err;
      this.deps.s.logger.info("the banned account's server is not told: its actor cannot be fetched", {
        actor: actorId,
        err: err.message,
      });
      return null;
    }
  }
}
