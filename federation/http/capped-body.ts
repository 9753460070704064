import type { IncomingMessage } from "node:http";
import { type Readable, Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { FetchFailed, FetchRefused } from "./fetch-errors.js";

/** A pass-through that fails as soon as more than `maxBytes` have gone through it. */
function byteCap(maxBytes: number, what: string, counted: (seen: number) => void = () => {}): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      counted(seen);
      if (seen > maxBytes) done(new FetchRefused("too_large", `The ${what} is over ${maxBytes} bytes.`));
      else done(null, chunk);
    },
  });
}

/**
 * Reads a response body into memory, never holding more than `maxBytes` (plus one chunk) of it. The cap
 * applies to what arrives on the wire and, for gzip, again to the decompressed bytes, so a small
 * compressed bomb fails as soon as its output passes the cap. An announced Content-Length over the cap
 * fails before anything is read.
 */
export async function readCappedBody(res: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const encoding = (res.headers["content-encoding"] ?? "identity").trim().toLowerCase();
  const gzip = encoding === "gzip" || encoding === "x-gzip";
  if (!gzip && encoding !== "identity" && encoding !== "") {
    throw new FetchRefused("encoding", `Unsupported Content-Encoding "${encoding.slice(0, 40)}".`);
  }
  const announced = res.headers["content-length"];
  if (announced !== undefined && /^\d+$/.test(announced) && Number(announced) > maxBytes) {
    throw new FetchRefused("too_large", `The response announces ${announced} bytes; the cap is ${maxBytes}.`);
  }

  const chunks: Buffer[] = [];
  const collect = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  let received = 0;
  const wire = byteCap(maxBytes, "response body", (seen) => {
    received = seen;
  });
  const stages: Array<Readable | Transform | Writable> = [res, wire];
  if (gzip) stages.push(createGunzip(), byteCap(maxBytes, "decompressed response body"));
  stages.push(collect);
  try {
    await pipeline(stages);
  } catch (err) {
    if (err instanceof FetchRefused || err instanceof FetchFailed) throw err;
    const code = (err as { code?: unknown } | null)?.code;
    // Some servers label an empty body (a 202 or 204 to a delivery) as gzip; that is not an error.
    if (gzip && received === 0 && res.complete) return Buffer.alloc(0);
    if (typeof code === "string" && code.startsWith("Z_")) {
      throw new FetchFailed("The response body is not valid gzip.", err);
    }
    throw new FetchFailed(`The response body was cut off: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  return Buffer.concat(chunks);
}
