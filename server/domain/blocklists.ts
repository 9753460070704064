/*
 * Blocklists as other servers and tools write them, and how several of them combine into rules, in
 * one import. Each part is a module of its own: the readers share ./blocklist-reading.ts (limits,
 * errors) and read Mastodon's CSV (./blocklist-csv.ts), the JSON formats (./blocklist-json.ts) and
 * plain lists (./blocklist-formats.ts, which also tells the formats apart); ./blocklist-consensus.ts
 * merges subscribed lists, ./blocklist-diff.ts compares wanted entries with the rules held, and
 * ./public-domain-blocks.ts is the list the instance publishes.
 */

export { type ConsensusEntry, type ConsensusSource, consensusEntries, mergeConsensus } from "./blocklist-consensus.js";
export { parseMastodonCsv, toMastodonCsv } from "./blocklist-csv.js";
export { type DiffOptions, diffRules, type RuleDiff } from "./blocklist-diff.js";
export { guessFormat, parseBlocklist, parsePlain } from "./blocklist-formats.js";
export { parseGoToSocialJson, parseMastodonApi } from "./blocklist-json.js";
export {
  type ConcreteBlocklistFormat,
  MAX_BLOCKLIST_BYTES,
  MAX_BLOCKLIST_ENTRIES,
  MAX_PARSE_ERRORS,
  MAX_PUBLIC_COMMENT,
  type ParseError,
  type ParseResult,
} from "./blocklist-reading.js";
export { type PublicDomainBlock, publicDomainBlocks } from "./public-domain-blocks.js";
