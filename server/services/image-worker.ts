/**
 * An image worker process: makes one upload at a time from those the pool (image-pool.ts) sent it,
 * in the order they came, and sends the results back in that order. It is a process rather than a thread because libvips decodes on
 * the process's own thread pool: only a separate process can run all of it at a lower priority than
 * the thread answering requests.
 */
import sharp from "sharp";
import { isDomainError } from "../domain/errors.js";
import type { ImageReply, ImageRequest, ImageWorkerSettings } from "./image-pool.js";
import { transformImage } from "./image-transform.js";
import { HashScratch } from "./media-hash.js";

const send = process.send?.bind(process);
if (!send) throw new Error("image-worker.js runs only as a child process of the image pool");
const settings = JSON.parse(process.env["ATOLL_IMAGE_WORKER"] ?? "{}") as ImageWorkerSettings;
// Each image worker decodes one image with this many libvips threads; the pool's size times this
// is what the server leaves to image work.
sharp.cache(false);
sharp.concurrency(settings.vipsThreads ?? 1);
const scratch = new HashScratch();

/** One image after another: the next upload may arrive while one is being made, and waits. */
let line: Promise<void> = Promise.resolve();

process.on("message", (message: unknown) => {
  const req = message as ImageRequest;
  line = line
    .then(() => make(req))
    .then((reply) => {
      send(reply);
    });
});

async function make(req: ImageRequest): Promise<ImageReply> {
  try {
    const done = await transformImage(
      { ...req.job, input: Buffer.from(req.input.buffer, req.input.byteOffset, req.input.byteLength) },
      scratch,
    );
    return { id: req.id, ok: true, image: done };
  } catch (err) {
    return isDomainError(err)
      ? { id: req.id, ok: false, kind: err.kind, message: err.message }
      : { id: req.id, ok: false, kind: null, message: err instanceof Error ? err.message : String(err) };
  }
}
// The server going away ends its image work too.
process.on("disconnect", () => process.exit(0));
