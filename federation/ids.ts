import { isBoardUri } from "../server/domain/board.js";
/**
 * ActivityPub ids of local actors and collections, derived from PUBLIC_URL in one place. Post ids
 * come from server/services/urls.ts (a thread's id is its page URL, so pasting it into a fediverse
 * search finds it).
 */
export class FederationIds {
  readonly host: string;

  constructor(readonly publicUrl: string) {
    this.host = new URL(publicUrl).host;
  }

  /** The instance's own `Application` actor: signs fetches and instance-level activities. */
  instanceActor(): string {
    return `${this.publicUrl}/ap/actor`;
  }

  instanceInbox(): string {
    return `${this.publicUrl}/ap/actor/inbox`;
  }

  /** The `Person` local anonymous posts are attributed to, so every fediverse client shows an author. */
  anonymousActor(): string {
    return `${this.publicUrl}/ap/anonymous`;
  }

  /** The collection of a thread's replies. */
  threadReplies(board: string, threadNo: number): string {
    return `${this.publicUrl}/ap/boards/${board}/threads/${threadNo}/replies`;
  }

  sharedInbox(): string {
    return `${this.publicUrl}/ap/inbox`;
  }

  board(uri: string): string {
    return `${this.publicUrl}/ap/boards/${uri}`;
  }

  boardInbox(uri: string): string {
    return `${this.board(uri)}/inbox`;
  }

  boardOutbox(uri: string): string {
    return `${this.board(uri)}/outbox`;
  }

  boardFollowers(uri: string): string {
    return `${this.board(uri)}/followers`;
  }

  boardFollowing(uri: string): string {
    return `${this.board(uri)}/following`;
  }

  boardModerators(uri: string): string {
    return `${this.board(uri)}/moderators`;
  }

  /** The board's `featured` collection: its sticky threads (Lemmy's pinned posts). */
  boardFeatured(uri: string): string {
    return `${this.board(uri)}/featured`;
  }

  /** A staff member of a board as a `Person`, named by an opaque key (never the login name). */
  staffActor(uri: string, key: string): string {
    return `${this.board(uri)}/staff/${key}`;
  }

  /** The key id of a local actor: its id with `#main-key`, as Mastodon and Lemmy name theirs. */
  keyId(actorId: string): string {
    return `${actorId}#main-key`;
  }

  /** Atoll's JSON-LD context (imageboard extras: post number, tripcode, poster ID, sage, capcode). */
  context(): string {
    return `${this.publicUrl}/ns/atoll.jsonld`;
  }

  /** The board an actor id of ours names, or null. */
  boardOf(actorId: string): string | null {
    const prefix = `${this.publicUrl}/ap/boards/`;
    if (!actorId.startsWith(prefix)) return null;
    const rest = actorId.slice(prefix.length);
    return isBoardUri(rest) ? rest : null;
  }

  /** The board a staff actor id of ours belongs to, or null. */
  staffBoardOf(actorId: string): string | null {
    const m = /^(.+)\/staff\/[A-Za-z0-9_-]{22}$/.exec(actorId);
    return m?.[1] ? this.boardOf(m[1]) : null;
  }

  /** Whether a URL is one of this instance's (an actor, a post). */
  isLocal(url: string): boolean {
    return url.startsWith(`${this.publicUrl}/`);
  }
}
