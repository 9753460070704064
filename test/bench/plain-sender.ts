/**
 * The delivery benchmark's baseline, run on a worker thread: the same signed POSTs to the same
 * inbox, one at a time over one kept-alive connection, signing each just before it goes, as the
 * delivery worker does, but with no queue, no store and no lease behind them. The delivery figure
 * is a ratio to this: what the durable queue costs over bare signed sending.
 */
import { createPrivateKey } from "node:crypto";
import { Agent, request } from "node:http";
import { parentPort, workerData } from "node:worker_threads";
import { signRequest } from "../../federation/http/signatures.js";

export interface PlainSendJob {
  /** The inbox the requests go to. */
  url: string;
  keyId: string;
  privateKeyPem: string;
  bodies: string[];
}

const job = workerData as PlainSendJob;
const url = new URL(job.url);
const privateKey = createPrivateKey(job.privateKeyPem);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function post(body: string): Promise<number> {
  const headers = {
    "content-type": "application/activity+json",
    ...signRequest({ method: "POST", url, headers: {}, body, keyId: job.keyId, privateKeyPem: "", privateKey }),
  };
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers, agent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

let failed = 0;
for (const body of job.bodies) if ((await post(body)) >= 300) failed++;
agent.destroy();
parentPort?.postMessage({ failed });
