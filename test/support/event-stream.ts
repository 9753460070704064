import { get, type IncomingHttpHeaders } from "node:http";
import { waitFor } from "./loopback.js";

/** One event of a text/event-stream, as a browser's EventSource would see it. */
export interface StreamEvent {
  event: string;
  id: string | null;
  data: string;
}

/** A real HTTP connection to an event stream, parsed as it arrives. */
export interface EventStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** Every event so far, in order. */
  events: StreamEvent[];
  /** The `retry:` hint, when one came. */
  retry: number | null;
  /** The body so far when the answer was not a stream (an error page or problem). */
  text(): string;
  /** Waits until an event matching `pick` has arrived and returns it. */
  next(what: string, pick: (e: StreamEvent) => boolean, ms?: number): Promise<StreamEvent>;
  /** Whether the server ended the stream. */
  ended(): boolean;
  close(): void;
}

/** Opens `url` (http only, from `localAddress` when given) with `headers` and resolves once the response headers are in. */
export function openEventStream(
  url: string,
  headers: Record<string, string> = {},
  localAddress?: string,
): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const options = { headers: { Accept: "text/event-stream", ...headers }, ...(localAddress ? { localAddress } : {}) };
    const req = get(url, options, (res) => {
      let buffer = "";
      let raw = "";
      let ended = false;
      const stream: EventStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events: [],
        retry: null,
        text: () => raw,
        next: (what, pick, ms = 15_000) => waitFor(what, async () => stream.events.find(pick), ms),
        ended: () => ended,
        close: () => req.destroy(),
      };
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        raw += chunk;
        buffer += chunk;
        let cut = buffer.indexOf("\n\n");
        while (cut >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const e: StreamEvent = { event: "message", id: null, data: "" };
          let isEvent = false;
          for (const line of block.split("\n")) {
            const colon = line.indexOf(":");
            if (colon === 0) continue;
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (field === "event") e.event = value;
            else if (field === "id") e.id = value;
            else if (field === "data") {
              e.data = e.data ? `${e.data}\n${value}` : value;
              isEvent = true;
            } else if (field === "retry") stream.retry = Number(value);
          }
          if (isEvent) stream.events.push(e);
          cut = buffer.indexOf("\n\n");
        }
      });
      res.on("end", () => (ended = true));
      res.on("close", () => (ended = true));
      resolve(stream);
    });
    req.on("error", reject);
  });
}
