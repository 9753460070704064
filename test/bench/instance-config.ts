import { type Config, loadConfig } from "../../server/config.js";

/**
 * The configuration of a benchmarked instance: loopback on `port` (PUBLIC_URL names the real port,
 * since ids and reply targets derive from it), no captcha or rate limits, federation on with
 * loopback peers allowed.
 */
export function benchConfig(dataDir: string, port: number): Config {
  return loadConfig({
    DATA_DIR: dataDir,
    HOST: "127.0.0.1",
    PORT: String(port),
    CAPTCHA: "off",
    RATE_LIMIT: "off",
    LOG_LEVEL: "error",
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    FEDERATION: "on",
    ALLOW_PRIVATE_ADDRESSES: "on",
  });
}
