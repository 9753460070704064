import type { FederationActions } from "../../server/services/federation-actions.js";
import type { Federation } from "../index.js";
import { BoardFollows } from "./board-follows.js";
import { RemoteBanFederation } from "./remote-bans.js";
import { SilenceReview } from "./silence.js";

export { BoardFollows, type BoardFollowsDeps } from "./board-follows.js";
export { FederationHeldDataEffects, GuardedBlocklistFetcher } from "./defederation-effects.js";
export { RemoteBanFederation } from "./remote-bans.js";
export { SilenceReview } from "./silence.js";
export { isLoopbackHost, parseFollowTarget, resolveHandle, webfingerSchemes } from "./target.js";

/**
 * The operator actions of one instance's federation, for Services; undefined with FEDERATION=off.
 * Activities go onto the durable delivery queue through the inbox's outbox, which also wakes this
 * process's worker when it has one running.
 */
export function federationActions(federation: Federation): FederationActions | undefined {
  const { following, inbox, context, publisher } = federation;
  if (!following || !inbox || !publisher) return undefined;
  const outbox = inbox.deps.outbox;
  const follows = new BoardFollows({
    store: context.s.store,
    ids: federation.ids,
    http: federation.context.http,
    follow: (board, groupId) => following.followRemoteBoard(board, groupId),
    send: (actor, to, activity) => outbox.send(actor, to, activity),
    allowPrivateAddresses: context.s.config.allowPrivateAddresses,
  });
  const silence = new SilenceReview(inbox.deps);
  const bans = new RemoteBanFederation({
    s: context.s,
    ids: federation.ids,
    http: federation.context.http,
    actors: inbox.deps.actors,
    followerInboxes: (board) => publisher.followerInboxes(board),
    staffActor: (board, username) => federation.staff.idOf(board, username),
    send: (actor, to, activity) => outbox.send(actor, to, activity),
    allowPrivateAddresses: context.s.config.allowPrivateAddresses,
  });
  return {
    followBoard: (board, target) => follows.followBoard(board, target),
    unfollowBoard: (board, target) => follows.unfollowBoard(board, target),
    listFollows: (board) => follows.listFollows(board),
    listFollowRequests: (board) => silence.listFollowRequests(board),
    authorizeFollowRequest: (board, id) => silence.authorizeFollowRequest(board, id),
    rejectFollowRequest: (board, id) => silence.rejectFollowRequest(board, id),
    listHeld: (board) => silence.listHeld(board),
    approveHeld: (id) => silence.approveHeld(id),
    rejectHeld: (id) => silence.rejectHeld(id),
    resolveAccount: (target) => bans.resolveAccount(target),
    announceRemoteBan: async (ban, lifted) => {
      await bans.announce(ban, lifted);
    },
  };
}
