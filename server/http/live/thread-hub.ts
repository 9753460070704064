import type { ServerResponse } from "node:http";
import type { Board } from "../../domain/board.js";
import type { PostEvent } from "../../services/events.js";
import type { Visibility } from "../../services/reader.js";
import { type Json, threadJson } from "../api/fourchan.js";
import type { LiveDeps } from "./deps.js";
import { eventFrame, type LiveEvent } from "./frames.js";

/** Limits of one process's open streams. */
export interface LiveLimits {
  /** Open streams in this process. */
  total: number;
  /** Open streams per client address. */
  perAddress: number;
}

/** How often the store's version of each watched thread is read, for changes made by other processes. */
const POLL_MS = 1500;
/** A comment line this often keeps proxies and load balancers from closing an idle stream. */
const HEARTBEAT_MS = 25_000;
/** Bytes queued for one client before it counts as stalled and is dropped (it resumes with Last-Event-ID). */
const MAX_QUEUED = 512 * 1024;

/** OP fields that move with every reply or flag change: sent as `thread` events, not as `update`s. */
const VOLATILE_OP_FIELDS = [
  "replies",
  "images",
  "unique_ips",
  "last_modified",
  "bumplimit",
  "imagelimit",
  "sticky",
  "closed",
  "archived",
  "archived_on",
];

interface Stream {
  res: ServerResponse;
  address: string;
  channel: Channel;
}

/** One thread as one kind of reader sees it, with the streams watching it. */
interface Channel {
  key: string;
  board: Board;
  no: number;
  vis: Visibility;
  streams: Set<Stream>;
  /** What the last snapshot was built from; a poll that finds the same skips the rebuild. */
  version: string;
  /** Post number → the post's JSON, and the same without its volatile OP fields (for `update`). */
  posts: Map<number, { json: Json; stable: string }>;
  flags: string;
  gone: boolean;
  ready: Promise<void>;
  running: Promise<void> | null;
  again: boolean;
}

export class StreamRefused extends Error {}

/**
 * The live threads of one instance: one channel per watched thread (and visibility variant), each
 * holding the thread as last shown and the streams open on it. A domain event about a thread, or a
 * new store version of it found by the poll (a post made by another process sharing the store),
 * rebuilds the thread through the reader that builds the thread JSON, so exactly what that JSON
 * would show is sent; the difference from the last snapshot goes to every stream as events.
 * Rebuilds are per thread, never per stream.
 */
export class ThreadHub {
  readonly #channels = new Map<string, Channel>();
  readonly #perAddress = new Map<string, number>();
  #streams = 0;
  #poll: NodeJS.Timeout | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  #detach: (() => void) | null;
  #closed = false;

  constructor(
    private readonly deps: LiveDeps,
    private readonly limits: LiveLimits,
  ) {
    this.#detach = deps.events.on((e) => this.#onEvent(e));
  }

  /** Open streams, for health and tests. */
  get streams(): number {
    return this.#streams;
  }

  /**
   * Opens a stream on `res` (headers not yet sent): reserves its place under the limits or throws
   * StreamRefused, then sends what came after `after` (a post number, or null for nothing) and
   * every change from then on.
   */
  async open(res: ServerResponse, address: string, board: Board, no: number, vis: Visibility, after: number | null) {
    if (this.#closed) throw new StreamRefused("The server is shutting down.");
    const mine = this.#perAddress.get(address) ?? 0;
    if (this.#streams >= this.limits.total) throw new StreamRefused("Too many live threads are open on this server.");
    if (mine >= this.limits.perAddress) throw new StreamRefused("Too many live threads are open from your address.");
    this.#streams++;
    this.#perAddress.set(address, mine + 1);
    const channel = this.#channel(board, no, vis);
    const stream: Stream = { res, address, channel };
    // Counted from now on, so a burst of connections cannot pass the limits while the snapshot loads.
    channel.streams.add(stream);
    res.once("close", () => this.#drop(stream));
    this.#start();
    try {
      await channel.ready;
    } catch (err) {
      this.#drop(stream);
      throw err;
    }
    if (res.destroyed || !channel.streams.has(stream)) return;
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache, no-store, no-transform",
      // nginx buffers proxied answers unless told not to.
      "X-Accel-Buffering": "no",
      Connection: "keep-alive",
    });
    res.socket?.setNoDelay(true);
    let first = "retry: 3000\n\n";
    if (after !== null) {
      // Synchronous from the snapshot to the stream's first write: no change can fall between them.
      for (const [n, p] of [...channel.posts].sort((a, b) => a[0] - b[0]))
        if (n > after) first += eventFrame({ type: "post", id: n, data: p.json });
    }
    this.#write(stream, first);
  }

  /** Ends every stream and stops watching. */
  close(): void {
    this.#closed = true;
    this.#detach?.();
    this.#detach = null;
    this.#stop();
    for (const c of this.#channels.values()) for (const s of c.streams) s.res.end();
    this.#channels.clear();
  }

  #channel(board: Board, no: number, vis: Visibility): Channel {
    const key = `${board.uri}/${no}/${vis.showLimited ? "l" : "d"}`;
    let c = this.#channels.get(key);
    if (!c) {
      c = {
        key,
        board,
        no,
        vis,
        streams: new Set(),
        version: "",
        posts: new Map(),
        flags: "",
        gone: false,
        ready: Promise.resolve(),
        running: null,
        again: false,
      };
      this.#channels.set(key, c);
      const made = c;
      c.ready = this.#refresh(c).catch((err: unknown) => {
        // A failed first snapshot leaves no channel behind: the next stream tries afresh.
        if (this.#channels.get(key) === made) this.#channels.delete(key);
        throw err;
      });
    }
    return c;
  }

  #drop(stream: Stream): void {
    const c = stream.channel;
    if (!c.streams.delete(stream)) return;
    this.#streams--;
    const left = (this.#perAddress.get(stream.address) ?? 1) - 1;
    if (left > 0) this.#perAddress.set(stream.address, left);
    else this.#perAddress.delete(stream.address);
    if (c.streams.size === 0 && this.#channels.get(c.key) === c) this.#channels.delete(c.key);
    if (this.#streams === 0) this.#stop();
    if (!stream.res.writableEnded) stream.res.end();
  }

  #write(stream: Stream, text: string): void {
    const { res } = stream;
    if (res.destroyed || res.writableEnded) return;
    if (res.writableLength > MAX_QUEUED) {
      // A client that reads nothing would hold the memory of every event: it reconnects and resumes.
      this.#drop(stream);
      return;
    }
    res.write(text);
  }

  #onEvent(e: PostEvent): void {
    let board: string;
    let no: number;
    if (e.type === "thread_changed") {
      board = e.thread.board;
      no = e.thread.no;
    } else if (e.type === "post_created" || e.type === "post_deleted" || e.type === "file_deleted") {
      board = e.post.board;
      no = e.post.threadNo;
    } else return;
    for (const suffix of ["d", "l"]) {
      const c = this.#channels.get(`${board}/${no}/${suffix}`);
      if (c) this.#schedule(c);
    }
  }

  /** Runs a refresh of the channel, or one more after the running one (events during it are in it or after it). */
  #schedule(c: Channel): void {
    if (c.running) {
      c.again = true;
      return;
    }
    this.#refresh(c).catch((err: unknown) => this.deps.logger.warn("live thread refresh failed", { err }));
  }

  #refresh(c: Channel): Promise<void> {
    const run = async () => {
      try {
        do {
          c.again = false;
          await this.#rebuild(c);
        } while (c.again && !this.#closed);
      } finally {
        c.running = null;
      }
    };
    c.running = run();
    return c.running;
  }

  async #rebuild(c: Channel): Promise<void> {
    if (c.gone) return;
    const { reader, urls } = this.deps;
    const state = await reader.getThreadState(c.board.uri, c.no);
    const board = (await reader.getBoard(c.board.uri)) ?? c.board;
    const version = state ? `${state.version}:${state.createdAt}:${reader.rulesVersion()}` : "gone";
    if (version === c.version) return;
    const view =
      state && (await reader.threadReach(board, state)) !== "hidden" ? await reader.thread(board, state, c.vis) : null;
    const first = c.version === "";
    c.version = version;
    if (!state || !view) {
      if (first) throw new ThreadMissing();
      // The thread went (deleted, or its author's server suspended): say so, and end the streams.
      c.gone = true;
      const frame = eventFrame({ type: "delete", data: { no: c.no } });
      for (const s of [...c.streams]) {
        this.#write(s, frame);
        this.#drop(s);
      }
      this.#channels.delete(c.key);
      return;
    }
    const posts = (threadJson(board, view, urls)["posts"] as Json[]) ?? [];
    const next = new Map<number, { json: Json; stable: string }>();
    for (const json of posts) next.set(Number(json["no"]), { json, stable: stableOf(json) });
    const op = posts[0] ?? {};
    const flags = { no: c.no, sticky: op["sticky"] ?? 0, closed: op["closed"] ?? 0, archived: op["archived"] ?? 0 };
    const flagText = JSON.stringify(flags);
    const events: LiveEvent[] = [];
    if (!first) {
      const newest = Math.max(0, ...c.posts.keys());
      for (const [n, p] of next) {
        const old = c.posts.get(n);
        // A post shown again below the newest (a rule lifted) carries no id: ids only move forward.
        if (!old) events.push(n > newest ? { type: "post", id: n, data: p.json } : { type: "post", data: p.json });
        else if (old.stable !== p.stable) events.push({ type: "update", data: p.json });
      }
      for (const n of c.posts.keys()) if (!next.has(n)) events.push({ type: "delete", data: { no: n } });
      if (flagText !== c.flags) events.push({ type: "thread", data: flags });
    }
    c.posts = next;
    c.flags = flagText;
    if (events.length === 0) return;
    // One text for every stream: the cost of a change is one rebuild and one write per stream.
    const text = events.map(eventFrame).join("");
    for (const s of c.streams) this.#write(s, text);
  }

  #start(): void {
    if (this.#poll || this.#closed) return;
    this.#poll = setInterval(() => {
      for (const c of this.#channels.values()) if (!c.running) this.#schedule(c);
    }, POLL_MS);
    this.#poll.unref();
    this.#heartbeat = setInterval(() => {
      for (const c of this.#channels.values()) for (const s of c.streams) this.#write(s, ":\n\n");
    }, HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  #stop(): void {
    if (this.#poll) clearInterval(this.#poll);
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#poll = null;
    this.#heartbeat = null;
  }
}

/** The thread does not exist or is not shown to this reader (the route answers 404). */
export class ThreadMissing extends Error {}

function stableOf(json: Json): string {
  if (json["resto"] !== 0) return JSON.stringify(json);
  const copy = { ...json };
  for (const f of VOLATILE_OP_FIELDS) delete copy[f];
  return JSON.stringify(copy);
}
