import type { FederationActions } from "../../server/services/federation-actions.js";
import type { Federation } from "../index.js";
import { BoardFollows } from "./board-follows.js";

export { BoardFollows, type BoardFollowsDeps } from "./board-follows.js";
export { isLoopbackHost, parseFollowTarget, resolveHandle, webfingerSchemes } from "./target.js";

/**
 * The operator actions of one instance's federation, for Services; undefined with FEDERATION=off.
 * Activities go onto the durable delivery queue through the inbox's outbox, which also wakes this
 * process's worker when it has one running.
 */
export function federationActions(federation: Federation): FederationActions | undefined {
  const { following, inbox, context } = federation;
  if (!following || !inbox) return undefined;
  const outbox = inbox.deps.outbox;
  return new BoardFollows({
    store: context.s.store,
    ids: federation.ids,
    http: federation.context.http,
    follow: (board, groupId) => following.followRemoteBoard(board, groupId),
    send: (actor, to, activity) => outbox.send(actor, to, activity),
    allowPrivateAddresses: context.s.config.allowPrivateAddresses,
  });
}
