import type { Board } from "../../server/domain/board.js";
import type { Urls } from "../../server/services/urls.js";
import type { FederationIds } from "../ids.js";
import { AS_CONTEXT, SECURITY_CONTEXT } from "./context.js";

/**
 * A board as an ActivityPub `Group` (FEP-1b12, as Lemmy and Mbin model communities), so existing
 * software can follow it, see its threads and reply into them. Follows are accepted automatically.
 */
export function boardActor(
  board: Board,
  publicKeyPem: string,
  ids: FederationIds,
  urls: Urls,
): Record<string, unknown> {
  const id = ids.board(board.uri);
  return {
    "@context": [
      AS_CONTEXT,
      SECURITY_CONTEXT,
      {
        lemmy: "https://join-lemmy.org/ns#",
        postingRestrictedToMods: "lemmy:postingRestrictedToMods",
        sensitive: "as:sensitive",
        manuallyApprovesFollowers: "as:manuallyApprovesFollowers",
        toot: "http://joinmastodon.org/ns#",
        featured: { "@id": "toot:featured", "@type": "@id" },
      },
    ],
    id,
    type: "Group",
    preferredUsername: board.uri,
    name: `/${board.uri}/ - ${board.title}`,
    summary: board.description ? `<p>${escapeText(board.description)}</p>` : "",
    source: { content: board.description, mediaType: "text/plain" },
    url: urls.board(board.uri),
    inbox: ids.boardInbox(board.uri),
    outbox: ids.boardOutbox(board.uri),
    followers: ids.boardFollowers(board.uri),
    following: ids.boardFollowing(board.uri),
    attributedTo: ids.boardModerators(board.uri),
    featured: ids.boardFeatured(board.uri),
    endpoints: { sharedInbox: ids.sharedInbox() },
    manuallyApprovesFollowers: false,
    sensitive: !board.settings.sfw,
    postingRestrictedToMods: board.settings.postingRestrictedToMods,
    discoverable: true,
    icon: { type: "Image", mediaType: "image/svg+xml", url: `${ids.publicUrl}/static/favicon.svg` },
    published: new Date(board.createdAt).toISOString(),
    publicKey: { id: ids.keyId(id), owner: id, publicKeyPem },
  };
}

/** The `Person` local anonymous posts are attributed to, so every client shows an author. */
export function anonymousPerson(publicKeyPem: string, ids: FederationIds): Record<string, unknown> {
  const id = ids.anonymousActor();
  return {
    "@context": [AS_CONTEXT, SECURITY_CONTEXT],
    id,
    type: "Person",
    preferredUsername: "anonymous",
    name: "Anonymous",
    summary: "<p>Anonymous posters of this imageboard.</p>",
    url: ids.publicUrl,
    inbox: ids.sharedInbox(),
    endpoints: { sharedInbox: ids.sharedInbox() },
    publicKey: { id: ids.keyId(id), owner: id, publicKeyPem },
  };
}

/** The instance's `Application` actor: the key that signs fetches and instance-level activities. */
export function instanceActor(publicKeyPem: string, ids: FederationIds): Record<string, unknown> {
  const id = ids.instanceActor();
  return {
    "@context": [AS_CONTEXT, SECURITY_CONTEXT],
    id,
    type: "Application",
    preferredUsername: ids.host,
    name: ids.host,
    url: ids.publicUrl,
    inbox: ids.instanceInbox(),
    outbox: `${id}/outbox`,
    endpoints: { sharedInbox: ids.sharedInbox() },
    manuallyApprovesFollowers: true,
    publicKey: { id: ids.keyId(id), owner: id, publicKeyPem },
  };
}

function escapeText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
