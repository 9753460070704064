import type { Post, ThreadState } from "../domain/post.js";
import type { Report, Role } from "../domain/staff.js";

/** A staff member's act behind an event: who (never shown by login name outside), on what, and why. */
export interface StaffAct {
  username: string;
  role: Role;
  /** The post the staff member acted on (a thread's OP for its replies going with it). */
  postNo: number;
  /** The public reason; empty when none was given. */
  reason: string;
}

/** The thread flags a staff action turned on (true) or off (false). */
export interface FlagChange {
  sticky?: boolean;
  locked?: boolean;
  archived?: boolean;
}

export type PostEvent =
  | { type: "post_created"; post: Post }
  | { type: "post_deleted"; post: Post; by?: StaffAct }
  /** `post` as it is after the deletion: the files it still has, if only some went. */
  | { type: "file_deleted"; post: Post; by?: StaffAct }
  | { type: "thread_changed"; thread: ThreadState; by?: StaffAct; changed?: FlagChange }
  /** A reader reported a post (the federation passes on reports of mirrored posts). */
  | { type: "report_filed"; report: Report; post: Post }
  /** Staff dealt with these reports (the federation answers the peers that sent them). */
  | { type: "reports_resolved"; reports: Report[] };

/**
 * Domain events of one instance. Listeners (federation, caches) react after the fact; a listener
 * that throws is logged by its owner and never fails the operation that emitted the event.
 */
export class PostEvents {
  private readonly listeners: Array<(e: PostEvent) => void> = [];

  on(listener: (e: PostEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  emit(event: PostEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A listener's failure is its own; the operation has already succeeded.
      }
    }
  }
}
