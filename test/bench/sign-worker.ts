/**
 * A worker thread of the benchmark's client: signs a share of the pre-built inbox deliveries, as
 * a peer would (draft-cavage, over `(request-target) host date digest`), so signing is done before
 * the timed run and on every core.
 */
import { parentPort, workerData } from "node:worker_threads";
import { signRequest } from "../../federation/http/signatures.js";

export interface SignJob {
  /** The inbox the requests go to. */
  url: string;
  keyId: string;
  privateKeyPem: string;
  bodies: string[];
}

const job = workerData as SignJob;
const url = new URL(job.url);
const signed = job.bodies.map((body) =>
  signRequest({ method: "POST", url, headers: {}, body, keyId: job.keyId, privateKeyPem: job.privateKeyPem }),
);
parentPort?.postMessage(signed);
