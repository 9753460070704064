/** One event of a live thread's stream (see thread-hub.ts). */
export interface LiveEvent {
  type: "post" | "update" | "delete" | "thread";
  /** A new post's number: what a reconnecting client sends back as Last-Event-ID. */
  id?: number;
  data: unknown;
}

/** The event in the text/event-stream format. JSON has no raw newlines, so `data` is one line. */
export function eventFrame(e: LiveEvent): string {
  return `event: ${e.type}\n${e.id === undefined ? "" : `id: ${e.id}\n`}data: ${JSON.stringify(e.data)}\n\n`;
}
