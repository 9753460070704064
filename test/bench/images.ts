/**
 * The image part of `npm run bench`: posting with a 1920×1080 JPEG against sharp alone doing the
 * same image work with the same parallelism, and pages served while uploads keep the image queue busy.
 */
import type autocannon from "autocannon";
import sharp from "sharp";
import { configureSharpForServer, imageConcurrency } from "../../server/services/images.js";
import type { Row } from "./row.js";

/** run.ts's autocannon run against the bench server. */
export type Load = (
  opts: Partial<autocannon.Options> & { url: string },
) => Promise<{ rps: number; errors: number; non2xx: number; total: number; p99: number }>;

/** A 1920×1080 JPEG with real detail, like a photo. */
export async function photo(): Promise<Buffer> {
  const w = 1920;
  const h = 1080;
  const raw = Buffer.alloc(w * h * 3);
  let seed = 12345;
  for (let i = 0; i < raw.length; i += 3) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const x = (i / 3) % w;
    const y = Math.floor(i / 3 / w);
    raw[i] = (x ^ y) & 0xff;
    raw[i + 1] = ((x * y) >> 6) & 0xff;
    raw[i + 2] = seed & 0x3f;
  }
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** The same JPEG made unique per request by a comment segment, so no upload is a duplicate. */
function uniqueJpeg(base: Buffer, n: number): Buffer {
  const text = Buffer.from(`atoll-bench-${n}-${Math.random()}`);
  const segment = Buffer.alloc(4 + text.length);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(text.length + 2, 2);
  text.copy(segment, 4);
  return Buffer.concat([base.subarray(0, 2), segment, base.subarray(2)]);
}

function multipart(file: Buffer, boundary: string): Buffer {
  return Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="com"\r\n\r\nbenchmark photo\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
    ),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

/**
 * sharp alone doing what the upload path does (auto-orient, metadata-free original, then thumbnail),
 * with the server's settings: one libvips thread per image, cores − 1 images at once, in this process
 * at normal priority (the server's workers run niced).
 */
async function sharpAlone(images: Buffer[], seconds: number, parallel: number): Promise<number> {
  let done = 0;
  const end = Date.now() + seconds * 1000;
  const worker = async (k: number) => {
    for (let i = k; Date.now() < end; i += parallel) {
      const input = images[i % images.length]!;
      await sharp(input, { failOn: "error", limitInputPixels: false }).metadata();
      const opts = { failOn: "error", limitInputPixels: 40_000_000 } as const;
      // One after the other, as the server's image workers make them (one core per image).
      await sharp(input, opts).autoOrient().jpeg({ quality: 90, mozjpeg: false }).toBuffer();
      await sharp(input, opts)
        .autoOrient()
        .resize(125, 125, { fit: "inside", withoutEnlargement: true })
        .flatten({ background: "#ffffff" })
        .jpeg({ quality: 85, mozjpeg: false })
        .toBuffer();
      done++;
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: parallel }, (_, k) => worker(k)));
  return done / ((Date.now() - started) / 1000);
}

/** Image posting against sharp alone, and page serving while uploads run. */
export async function imageBenchmarks(
  ready: { url: string; postTargets: number[]; bigThread: number },
  rows: Row[],
  duration: number,
  load: Load,
): Promise<void> {
  const gzip = { "accept-encoding": "gzip" };
  const base = await photo();
  const variants = Array.from({ length: 64 }, (_, i) => uniqueJpeg(base, i));
  // The same libvips settings and parallelism as the server's upload queue.
  configureSharpForServer();
  await sharpAlone(variants, 1, imageConcurrency());
  const sharpRate = await sharpAlone(variants, duration, imageConcurrency());
  const boundary = "atollbenchboundary";
  let m = 0;
  const uploads = (duration: number) =>
    load({
      url: ready.url,
      connections: 4,
      duration,
      requests: [
        {
          setupRequest: (req) => {
            const target = ready.postTargets[m % ready.postTargets.length];
            const body = multipart(uniqueJpeg(base, 1000 + m++), boundary);
            return {
              ...req,
              method: "POST",
              path: `/api/v1/boards/p/threads/${target}/replies`,
              headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
              body: body as unknown as string,
            };
          },
        },
      ],
    });
  // Warm up as the reads are warmed up: the server starts its image workers at the first upload, and
  // that start (a process, sharp loading) is not the steady rate being measured.
  await uploads(1);
  // Uploads alone, against sharp alone.
  const images = await uploads(duration);
  if (images.errors) throw new Error(`image posting: ${images.errors} errors`);
  rows.push({
    name: "posting with a 1920×1080 JPEG",
    value: images.rps,
    unit: "posts/s",
    baseline: sharpRate,
    ratio: images.rps / sharpRate,
    target: 0.7,
  });
  // The page alone, then the same page while uploads keep the image queue busy.
  const pageAlone = await load({ url: `${ready.url}/big/thread/${ready.bigThread}`, headers: gzip, duration });
  const background = uploads(duration + 1);
  await new Promise((r) => setTimeout(r, 500));
  const pagesDuringUploads = await load({
    url: `${ready.url}/big/thread/${ready.bigThread}`,
    headers: gzip,
    duration: duration - 0.5,
  });
  await background;
  // Against the same page's rate without uploads: what the uploads take from readers.
  rows.push({
    name: "thread page while 4 clients upload",
    value: pagesDuringUploads.rps,
    unit: "req/s",
    baseline: pageAlone.rps,
    ratio: pagesDuringUploads.rps / pageAlone.rps,
    target: 0.7,
  });
  rows.push({
    name: "thread page p99 while 4 clients upload",
    value: pagesDuringUploads.p99,
    unit: "ms",
    baseline: pageAlone.p99,
    ratio: pageAlone.p99 > 0 ? pagesDuringUploads.p99 / pageAlone.p99 : 0,
    target: null,
  });
  if (images.non2xx) process.stdout.write(`note: ${images.non2xx} image posts were refused (queue full: 503)\n`);
}
