/** The time from a reply's 202 at the bench server's inbox to its appearance in the thread JSON. */
import { Agent } from "node:http";
import type { FakeActor } from "../support/fake-peer.js";
import { send } from "./bench-http.js";
import { presign, type ReplyFactory } from "./signed-replies.js";
import { quantile } from "./stats.js";

export interface ReplyLatency {
  /** Milliseconds from each reply's 202 to the first thread JSON that shows it. */
  samples: number[];
  /** The median time of one poll of the thread JSON: the resolution of the measurement. */
  pollMs: number;
}

/**
 * Sends `count` replies one at a time to a quiet thread; after each 202, polls the thread JSON
 * back to back until the reply is in it.
 */
export async function replyLatency(o: {
  url: string;
  inboxPath: string;
  actor: FakeActor;
  factory: ReplyFactory;
  board: string;
  threadNo: number;
  count: number;
}): Promise<ReplyLatency> {
  const inboxUrl = `${o.url}${o.inboxPath}`;
  const pool = await presign(
    inboxUrl,
    o.actor,
    Array.from({ length: o.count }, () => o.factory.next(o.threadNo)),
  );
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  const threadUrl = `${o.url}/${o.board}/thread/${o.threadNo}.json`;
  const samples: number[] = [];
  const polls: number[] = [];
  try {
    for (const d of pool) {
      const answer = await send(inboxUrl, agent, { method: "POST", headers: d.headers, body: d.body });
      if (answer.status !== 202) {
        throw new Error(`reply latency: the inbox answered ${answer.status}: ${answer.body.toString().slice(0, 300)}`);
      }
      const arrived = answer.headersAt;
      const needle = JSON.stringify(d.noteId);
      const deadline = arrived + 10_000;
      for (;;) {
        const started = performance.now();
        const res = await send(threadUrl, agent);
        polls.push(res.endAt - started);
        if (res.status === 200 && res.body.includes(needle)) {
          samples.push(res.endAt - arrived);
          break;
        }
        if (performance.now() > deadline) throw new Error(`reply latency: ${d.noteId} did not appear within 10 s`);
        await new Promise((r) => setImmediate(r));
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    agent.destroy();
  }
  return { samples, pollMs: quantile(polls, 0.5) };
}
