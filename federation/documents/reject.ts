import { escapeHtml } from "../../server/domain/markup.js";
import { AS_CONTEXT } from "./context.js";
import { digest } from "./ids.js";

/** The Create a board refuses, as its Reject names it. */
export interface RefusedCreate {
  id: string;
  actor: string;
  /** The id of the object it creates (the post). */
  object: string;
}

/**
 * A board's `Reject` of a federated post its rules refuse (a thread without an image, a reply to a
 * locked thread). It names the Create in full (id, actor, object) as the follow handshake names a
 * Follow, addresses the author alone, points at the post with `inReplyTo`, and gives the reason
 * twice: `summary` (plain text, the field software shows for an activity's label) and `content`
 * (HTML, what microblog software shows as text). Its id is derived from the Create's, so a refusal
 * decided twice (a redelivery, a retry) is queued once.
 */
export function rejectCreate(boardId: string, create: RefusedCreate, reason: string): Record<string, unknown> {
  return {
    "@context": AS_CONTEXT,
    id: `${boardId}/activities/reject/${digest(create.id)}`,
    type: "Reject",
    actor: boardId,
    object: { id: create.id, type: "Create", actor: create.actor, object: create.object },
    inReplyTo: create.object,
    to: [create.actor],
    summary: reason,
    content: `<p>${escapeHtml(reason)}</p>`,
  };
}
