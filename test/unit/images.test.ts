import { crc32 } from "node:zlib";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { IMAGE_TYPES, type ImageType } from "../../server/domain/board.js";
import { DomainError } from "../../server/domain/errors.js";
import { BoundedQueue } from "../../server/services/bounded-queue.js";
import { ImageProcessor, type ProcessOptions, sniffImageType } from "../../server/services/images.js";

const MB = 1024 * 1024;
const ALL: ProcessOptions = { allowedTypes: IMAGE_TYPES, maxFileSize: 8 * MB, op: true };

function processor(overrides: Partial<{ maxPixels: number; concurrency: number; queueLimit: number }> = {}) {
  return new ImageProcessor({ maxPixels: 40_000_000, concurrency: 2, queueLimit: 8, ...overrides });
}

/** A solid image with an alpha channel, encoded by sharp. */
function solid(width: number, height: number, format: "jpeg" | "png" | "gif" | "webp", alpha = 1): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background: { r: 200, g: 30, b: 60, alpha } } })
    .toFormat(format)
    .toBuffer();
}

/** Deterministic noise: makes files that do not compress to nothing, so truncation cuts real data. */
function noise(width: number, height: number, format: "jpeg" | "png"): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  let x = 12345;
  for (let i = 0; i < raw.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    raw[i] = x >> 16;
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .toFormat(format)
    .toBuffer();
}

/** An animation of `frames` distinct frames. */
function animation(format: "gif" | "webp", width: number, height: number, frames: number): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * frames * 4);
  for (let f = 0; f < frames; f++) {
    for (let p = 0; p < width * height; p++) {
      const o = (f * width * height + p) * 4;
      raw[o] = (f * 80) % 256;
      raw[o + 1] = 100;
      raw[o + 2] = 255 - ((f * 80) % 256);
      raw[o + 3] = 255;
    }
  }
  const img = sharp(raw, { raw: { width, height: height * frames, channels: 4, pageHeight: height } });
  return (format === "gif" ? img.gif({ loop: 0, delay: Array(frames).fill(100) }) : img.webp({ loop: 0 })).toBuffer();
}

/** Rewrites a PNG's IHDR to declare other dimensions (with a valid CRC), leaving the pixel data tiny. */
function withDeclaredSize(png: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(png);
  // Signature (8) + length (4) + "IHDR" (4), then width and height; the CRC covers type and data.
  expect(out.toString("latin1", 12, 16)).toBe("IHDR");
  out.writeUInt32BE(width, 16);
  out.writeUInt32BE(height, 20);
  out.writeUInt32BE(crc32(out.subarray(12, 29)), 29);
  return out;
}

async function refusal(p: Promise<unknown>): Promise<DomainError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  return err as DomainError;
}

describe("sniffImageType", () => {
  it("recognises the four signatures and nothing else", async () => {
    expect(sniffImageType(await solid(4, 4, "jpeg"))).toBe("image/jpeg");
    expect(sniffImageType(await solid(4, 4, "png"))).toBe("image/png");
    expect(sniffImageType(await solid(4, 4, "gif"))).toBe("image/gif");
    expect(sniffImageType(await solid(4, 4, "webp"))).toBe("image/webp");
    expect(sniffImageType(Buffer.from("GIF87a...."))).toBe("image/gif");
    expect(sniffImageType(Buffer.from("RIFF\0\0\0\0WAVEfmt "))).toBeNull();
    expect(sniffImageType(Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'/>"))).toBeNull();
    expect(sniffImageType(Buffer.from([0xff, 0xd8]))).toBeNull();
    expect(sniffImageType(Buffer.alloc(0))).toBeNull();
  });
});

describe("ImageProcessor: accepted images", () => {
  const cases: Array<[ImageType, "jpeg" | "png" | "gif" | "webp", string]> = [
    ["image/jpeg", "jpeg", ".jpg"],
    ["image/png", "png", ".png"],
    ["image/gif", "gif", ".gif"],
    ["image/webp", "webp", ".webp"],
  ];
  for (const [mime, format, ext] of cases) {
    it(`accepts ${format} with the right type, extension and dimensions`, async () => {
      const out = await processor().process(await solid(320, 200, format), ALL);
      expect(out.mime).toBe(mime);
      expect(out.ext).toBe(ext);
      expect([out.width, out.height]).toEqual([320, 200]);
      const meta = await sharp(out.original).metadata();
      expect(meta.format).toBe(format);
      expect([meta.width, meta.height]).toEqual([320, 200]);
      const thumb = await sharp(out.thumb).metadata();
      expect(thumb.format).toBe("jpeg");
      expect([thumb.width, thumb.height]).toEqual([out.thumbWidth, out.thumbHeight]);
      expect([out.thumbWidth, out.thumbHeight]).toEqual([250, 156]);
    });
  }

  // With a hash asked for, the thumbnail comes from the hash's pixels: both ways must agree.
  it.each([
    ["", false],
    [" (its PDQ hash computed too)", true],
  ])("auto-orients a JPEG and drops its EXIF, GPS included%s", async (_, pdq) => {
    // Left half red, right half blue, stored landscape with orientation 6 (display rotated 90° clockwise).
    const raw = Buffer.alloc(60 * 20 * 3);
    for (let y = 0; y < 20; y++) {
      for (let x = 0; x < 60; x++) {
        const o = (y * 60 + x) * 3;
        if (x < 30) raw[o] = 255;
        else raw[o + 2] = 255;
      }
    }
    const input = await sharp(raw, { raw: { width: 60, height: 20, channels: 3 } })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .withExifMerge({ IFD0: { Make: "SECRETCAM" }, IFD3: { GPSLatitudeRef: "N", GPSMapDatum: "WGS84MARK" } })
      .toBuffer();
    const before = await sharp(input).metadata();
    expect(before.orientation).toBe(6);
    expect(before.exif?.toString("latin1")).toContain("WGS84MARK");

    const out = await processor().process(input, { ...ALL, pdq });
    expect(out.pdq === null).toBe(!pdq);
    expect([out.width, out.height]).toEqual([20, 60]);
    const after = await sharp(out.original).metadata();
    expect([after.width, after.height]).toEqual([20, 60]);
    expect(after.exif).toBeUndefined();
    expect(after.orientation).toBeUndefined();
    expect(after.xmp).toBeUndefined();
    expect(after.icc).toBeUndefined();
    expect(out.original.toString("latin1")).not.toContain("WGS84MARK");
    expect(out.original.toString("latin1")).not.toContain("SECRETCAM");

    // The pixels were turned, not just relabelled: the red half is now on top.
    const { data } = await sharp(out.original).raw().toBuffer({ resolveWithObject: true });
    const top = (10 * 20 + 10) * 3;
    const bottom = (50 * 20 + 10) * 3;
    expect(data[top]).toBeGreaterThan(200);
    expect(data[top + 2]).toBeLessThan(60);
    expect(data[bottom + 2]).toBeGreaterThan(200);
    expect(data[bottom]).toBeLessThan(60);

    // The thumbnail is oriented the same way.
    expect(out.thumbHeight).toBeGreaterThan(out.thumbWidth);
    expect((await sharp(out.thumb).metadata()).exif).toBeUndefined();
  });

  it("keeps a palette PNG a palette PNG without changing its pixels", async () => {
    const input = await sharp({ create: { width: 40, height: 40, channels: 3, background: "#336699" } })
      .png({ palette: true })
      .toBuffer();
    expect((await sharp(input).metadata()).isPalette).toBe(true);
    const out = await processor().process(input, ALL);
    expect((await sharp(out.original).metadata()).isPalette).toBe(true);
    const pixels = await sharp(out.original).removeAlpha().raw().toBuffer();
    expect([...pixels.subarray(0, 3)]).toEqual([0x33, 0x66, 0x99]);
  });

  it("keeps every frame of an animated GIF in the original and one frame in the thumbnail", async () => {
    const input = await animation("gif", 90, 60, 3);
    expect((await sharp(input).metadata()).pages).toBe(3);
    const out = await processor().process(input, ALL);
    expect(out.mime).toBe("image/gif");
    expect([out.width, out.height]).toEqual([90, 60]);
    const meta = await sharp(out.original).metadata();
    expect(meta.format).toBe("gif");
    expect(meta.pages).toBe(3);
    const thumb = await sharp(out.thumb).metadata();
    expect(thumb.format).toBe("jpeg");
    expect(thumb.pages ?? 1).toBe(1);
    expect([out.thumbWidth, out.thumbHeight]).toEqual([90, 60]);
  });

  it("keeps an animated WebP animated", async () => {
    const out = await processor().process(await animation("webp", 50, 40, 2), { ...ALL, op: false });
    expect([out.width, out.height]).toEqual([50, 40]);
    expect((await sharp(out.original).metadata()).pages).toBe(2);
    expect((await sharp(out.thumb).metadata()).format).toBe("jpeg");
  });
});

describe("ImageProcessor: thumbnails", () => {
  it("fits an OP thumbnail inside 250x250 and a reply's inside 125x125", async () => {
    const wide = await solid(1000, 400, "png");
    const tall = await solid(300, 900, "jpeg");
    const p = processor();
    const opWide = await p.process(wide, ALL);
    expect([opWide.thumbWidth, opWide.thumbHeight]).toEqual([250, 100]);
    const replyWide = await p.process(wide, { ...ALL, op: false });
    expect([replyWide.thumbWidth, replyWide.thumbHeight]).toEqual([125, 50]);
    const opTall = await p.process(tall, ALL);
    expect(opTall.thumbHeight).toBe(250);
    expect(opTall.thumbWidth).toBeLessThanOrEqual(250);
    const replyTall = await p.process(tall, { ...ALL, op: false });
    expect(replyTall.thumbHeight).toBe(125);
    expect(replyTall.thumbWidth).toBeLessThanOrEqual(125);
    for (const out of [opWide, replyWide, opTall, replyTall]) {
      const meta = await sharp(out.thumb).metadata();
      expect([meta.width, meta.height]).toEqual([out.thumbWidth, out.thumbHeight]);
    }
  });

  it("never enlarges a small image", async () => {
    const out = await processor().process(await solid(30, 20, "png"), ALL);
    expect([out.thumbWidth, out.thumbHeight]).toEqual([30, 20]);
  });

  it("flattens transparency onto white", async () => {
    const out = await processor().process(await solid(50, 50, "png", 0), ALL);
    const { data, info } = await sharp(out.thumb).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(3);
    expect(data[0]).toBeGreaterThan(245);
    expect(data[1]).toBeGreaterThan(245);
    expect(data[2]).toBeGreaterThan(245);
  });
});

describe("ImageProcessor: refusals", () => {
  it("refuses a text file whatever it is called", async () => {
    const err = await refusal(processor().process(Buffer.from("hello, I am totally a picture.png\n"), ALL));
    expect(err.kind).toBe("unsupported_media");
    expect(err.message).toMatch(/JPEG, PNG, GIF or WebP/);
  });

  it("refuses SVG and other formats sharp could read", async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    expect((await refusal(processor().process(svg, ALL))).kind).toBe("unsupported_media");
    const tiff = await sharp({ create: { width: 4, height: 4, channels: 3, background: "#000" } })
      .tiff()
      .toBuffer();
    expect((await refusal(processor().process(tiff, ALL))).kind).toBe("unsupported_media");
  });

  it("refuses an empty file", async () => {
    expect((await refusal(processor().process(Buffer.alloc(0), ALL))).kind).toBe("unsupported_media");
  });

  it("refuses a type the board does not allow", async () => {
    const err = await refusal(
      processor().process(await solid(10, 10, "gif"), { ...ALL, allowedTypes: ["image/jpeg", "image/png"] }),
    );
    expect(err.kind).toBe("unsupported_media");
    expect(err.message).toContain("GIF");
  });

  it("refuses a file over the size limit", async () => {
    const input = await noise(200, 200, "png");
    const err = await refusal(processor().process(input, { ...ALL, maxFileSize: input.length - 1 }));
    expect(err.kind).toBe("too_large");
  });

  it("refuses a PNG signature followed by garbage", async () => {
    const input = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.alloc(500, 0x41),
    ]);
    expect((await refusal(processor().process(input, ALL))).kind).toBe("unprocessable");
  });

  it("refuses a JPEG header glued to a PNG body", async () => {
    const png = await solid(20, 20, "png");
    const input = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), png]);
    expect((await refusal(processor().process(input, ALL))).kind).toBe("unprocessable");
  });

  it("refuses a truncated JPEG", async () => {
    const full = await noise(300, 300, "jpeg");
    const input = full.subarray(0, Math.floor(full.length * 0.6));
    const err = await refusal(processor().process(input, ALL));
    expect(err.kind).toBe("unprocessable");
  });

  it("refuses a truncated PNG", async () => {
    const full = await noise(300, 300, "png");
    const input = full.subarray(0, Math.floor(full.length * 0.5));
    expect((await refusal(processor().process(input, ALL))).kind).toBe("unprocessable");
  });

  it("refuses a PNG declaring 20000x20000 before decoding it", async () => {
    const input = withDeclaredSize(await solid(1, 1, "png"), 20000, 20000);
    expect((await sharp(input, { limitInputPixels: false }).metadata()).width).toBe(20000);
    // Refused for its declared size, read from the header: decoding would have failed differently.
    const err = await refusal(processor().process(input, ALL));
    expect(err.kind).toBe("unprocessable");
    expect(err.message).toMatch(/pixels/);
  });

  it("refuses a real, highly compressible image over the pixel limit", async () => {
    const input = await sharp({ create: { width: 3000, height: 3000, channels: 3, background: "#fff" } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    expect(input.length).toBeLessThan(200_000);
    const err = await refusal(processor({ maxPixels: 4_000_000 }).process(input, ALL));
    expect(err.kind).toBe("unprocessable");
    expect(err.message).toMatch(/pixels/);
  });

  it("counts every frame of an animation against the pixel limit", async () => {
    const input = await animation("gif", 100, 100, 4);
    const err = await refusal(processor({ maxPixels: 30_000 }).process(input, ALL));
    expect(err.kind).toBe("unprocessable");
    expect(err.message).toMatch(/frames/);
  });
});

describe("ImageProcessor: bounded queue", () => {
  it("refuses at once with busy when the waiting line is full", async () => {
    const p = processor({ concurrency: 1, queueLimit: 1 });
    const input = await noise(800, 800, "jpeg");
    const first = p.process(input, ALL);
    const second = p.process(input, ALL);
    expect(p.pending).toBe(2);
    const err = await refusal(p.process(input, ALL));
    expect(err.kind).toBe("busy");
    const [a, b] = await Promise.all([first, second]);
    expect(a.width).toBe(800);
    expect(b.width).toBe(800);
    expect(p.pending).toBe(0);
    // Once the line has drained, uploads are accepted again.
    expect((await p.process(input, ALL)).height).toBe(800);
  });

  it("gives each upload its own result when a worker is sent the next one while it works", async () => {
    const p = processor({ concurrency: 1, queueLimit: 8 });
    const inputs = await Promise.all([300, 200, 400, 100].map((w) => noise(w, 50, "jpeg")));
    const done = await Promise.all(inputs.map((input) => p.process(input, ALL)));
    expect(done.map((d) => d.width)).toEqual([300, 200, 400, 100]);
    expect(p.pending).toBe(0);
  });

  it("does not let a refused image take a slot", async () => {
    const p = processor({ concurrency: 1, queueLimit: 0 });
    const bad = p.process(Buffer.from("not an image"), ALL);
    expect(p.pending).toBe(0);
    expect((await refusal(bad)).kind).toBe("unsupported_media");
    expect((await p.process(await solid(10, 10, "png"), ALL)).width).toBe(10);
  });
});

describe("BoundedQueue", () => {
  it("runs at most `concurrency` jobs at once, in arrival order", async () => {
    const q = new BoundedQueue(2, 10);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const job = (n: number) => async () => {
      running++;
      peak = Math.max(peak, running);
      order.push(n);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return n;
    };
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => q.run(job(n))));
    expect(results).toEqual([1, 2, 3, 4, 5, 6]);
    expect(peak).toBe(2);
    expect(order).toEqual([1, 2, 3, 4, 5, 6]);
    expect(q.pending).toBe(0);
  });

  it("frees the slot when a job fails", async () => {
    const q = new BoundedQueue(1, 0);
    await expect(q.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(q.active).toBe(0);
    await expect(q.run(async () => "ok")).resolves.toBe("ok");
  });

  it("rejects nonsensical limits", () => {
    expect(() => new BoundedQueue(0, 1)).toThrow(RangeError);
    expect(() => new BoundedQueue(1, -1)).toThrow(RangeError);
  });
});
