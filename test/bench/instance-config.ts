import { type Config, loadConfig } from "../../server/config.js";

/** The most every request limit can be set to: with it, the load generator is never refused. */
const UNREACHABLE = "10000000";

/**
 * The configuration of a benchmarked instance: loopback on `port` (PUBLIC_URL names the real port,
 * since ids and reply targets derive from it), no captcha, federation on with loopback peers
 * allowed. Rate limits are off, unless BENCH_RATE_LIMIT=on: then every request takes the limited
 * path (counted reads, writes and inbox POSTs, cooldown slots), with limits no run reaches (the
 * posting board has no cooldown), to measure what the limits cost.
 */
export function benchConfig(dataDir: string, port: number): Config {
  const limited = process.env["BENCH_RATE_LIMIT"] === "on";
  return loadConfig({
    DATA_DIR: dataDir,
    HOST: "127.0.0.1",
    PORT: String(port),
    CAPTCHA: "off",
    RATE_LIMIT: limited ? "on" : "off",
    RATE_LIMIT_READS: UNREACHABLE,
    RATE_LIMIT_WRITES: UNREACHABLE,
    RATE_LIMIT_ADMIN: UNREACHABLE,
    RATE_LIMIT_INBOX: UNREACHABLE,
    RATE_LIMIT_INBOX_ACTOR: UNREACHABLE,
    LOG_LEVEL: "error",
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    FEDERATION: "on",
    ALLOW_PRIVATE_ADDRESSES: "on",
    // The benches measure what a trusted peer's activities cost.
    PEER_PROBATION_DAYS: "0",
    // Every live stream of the benchmark comes from one loopback address.
    LIVE_STREAMS_PER_ADDRESS: "1000000",
  });
}
