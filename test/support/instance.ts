import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { createInstance, type Instance, type InstanceOptions } from "../../server/app.js";
import { loadConfig } from "../../server/config.js";
import { createLogger } from "../../server/services/logger.js";

export interface TestInstance extends Instance {
  dataDir: string;
  /** Base URL when started with `listen: true`. */
  url: string;
  stop(): Promise<void>;
}

/**
 * A complete instance on a fresh SQLite file in a temp directory. Captcha and rate limits are off
 * unless the test turns them on through `env`.
 */
export async function startTestInstance(
  env: Record<string, string> = {},
  opts: InstanceOptions & { listen?: boolean; dataDir?: string } = {},
): Promise<TestInstance> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), "atoll-test-")));
  const config = loadConfig({
    CAPTCHA: "off",
    RATE_LIMIT: "off",
    // Peers in tests are trusted from the start unless a test is about probation.
    PEER_PROBATION_DAYS: "0",
    LOG_LEVEL: "error",
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    ...env,
  });
  const instance = await createInstance(config, { logger: createLogger("error", () => {}), ...opts });
  let url = config.publicUrl;
  if (opts.listen) url = await instance.listen();
  return {
    ...instance,
    dataDir,
    url,
    async stop() {
      await instance.close(1000);
      if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A real JPEG of the given size, with a colour gradient so it is not trivially compressible. */
export async function makeJpeg(width = 64, height = 48): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = (x * 255) / width;
      raw[i + 1] = (y * 255) / height;
      raw[i + 2] = ((x + y) * 7) % 256;
    }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

export async function makePng(width = 32, height = 32): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background: { r: 10, g: 120, b: 200, alpha: 0.5 } } })
    .png()
    .toBuffer();
}
