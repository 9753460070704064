import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { follow } from "../contract/federation-factories.js";
import type { TestInstance } from "../support/instance.js";
import { startLoopbackInstance } from "../support/loopback.js";

/*
 * fediblockhole (eigenmagic/fediblockhole 0.4.6, src/fediblockhole/__init__.py and const.py) pushing a
 * merged blocklist to Atoll in its default mode (the sample configuration: import_fields
 * public_comment, reject_media, reject_reports, obfuscate; max_followed_severity silence), replayed
 * request for request as python-requests sends them, and its decisions made as it makes them:
 * read the instance's blocks (following Link as it parses it), ask the measures for follows before
 * a suspend, add what is new, PUT what its field comparison finds changed.
 */

const TOKEN = "f".repeat(32);
const IMPORT_FIELDS = ["domain", "severity", "public_comment", "reject_media", "reject_reports", "obfuscate", "id"];
const BLOCK_FIELDS = [
  "domain",
  "severity",
  "public_comment",
  "private_comment",
  "reject_media",
  "reject_reports",
  "obfuscate",
] as const;
const LEVEL: Record<string, number> = { noop: 1, silence: 2, suspend: 3 };

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface Block {
  domain: string;
  severity: string;
  public_comment: string | null;
  private_comment: string | null;
  reject_media: boolean;
  reject_reports: boolean;
  obfuscate: boolean;
  id?: string;
}

/** Python's json.dumps with its defaults (", " and ": " separators, ensure_ascii), as requests' json= sends. */
function pyJson(v: Json): string {
  if (v === null) return "null";
  if (typeof v === "boolean" || typeof v === "number") return String(v);
  if (typeof v === "string") {
    return JSON.stringify(v).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  }
  if (Array.isArray(v)) return `[${v.map(pyJson).join(", ")}]`;
  return `{${Object.entries(v)
    .map(([k, x]) => `${pyJson(k)}: ${pyJson(x)}`)
    .join(", ")}}`;
}

/** DomainBlock._asdict(): the fields in their order, the id only when set. */
function asDict(b: Block): { [k: string]: Json } {
  const out: { [k: string]: Json } = {};
  for (const f of BLOCK_FIELDS) out[f] = b[f];
  if (b.id) out["id"] = b.id;
  return out;
}

interface Sent {
  method: string;
  path: string;
  contentType: string | null;
  body: string | null;
  status: number;
}

/** fediblockhole's push of one merged blocklist to one instance, recording every request. */
class Fediblockhole {
  readonly sent: Sent[] = [];

  constructor(private readonly base: string) {}

  private async request(method: string, url: string, body?: Json): Promise<Response> {
    const headers: Record<string, string> = {
      "User-Agent": "FediBlockHole/0.4.6",
      "Accept-Encoding": "gzip, deflate",
      Accept: "*/*",
      Connection: "keep-alive",
      Authorization: `Bearer ${TOKEN}`,
    };
    const text = body === undefined ? null : pyJson(body);
    if (text !== null) headers["Content-Type"] = "application/json";
    const res = await fetch(url, { method, headers, ...(text === null ? {} : { body: text }) });
    const u = new URL(url);
    this.sent.push({
      method,
      path: u.pathname + u.search,
      contentType: headers["Content-Type"] ?? null,
      body: text,
      status: res.status,
    });
    return res;
  }

  /** fetch_instance_blocklist(admin=True): Link followed only when it has exactly two parts. */
  async serverBlocks(): Promise<Map<string, Block>> {
    let url = `${this.base}/api/v1/admin/domain_blocks`;
    const data: Array<Record<string, unknown>> = [];
    for (;;) {
      const res = await this.request("GET", url);
      if (res.status !== 200) throw new Error(`Unable to fetch domain block list: ${res.status}`);
      data.push(...((await res.json()) as Array<Record<string, unknown>>));
      const link = res.headers.get("link");
      if (link === null) break;
      const pagination = link.split(", ");
      if (pagination.length !== 2) break;
      const urlstring = (pagination[0] as string).split("; ")[0] as string;
      url = urlstring.replace(/^<+/, "").replace(/>+$/, "");
    }
    const out = new Map<string, Block>();
    for (const item of data) {
      const kept = Object.fromEntries(Object.entries(item).filter(([k]) => IMPORT_FIELDS.includes(k)));
      const block: Block = {
        domain: "",
        severity: "suspend",
        public_comment: "",
        private_comment: "",
        reject_media: false,
        reject_reports: false,
        obfuscate: false,
        ...kept,
      };
      if (!(block.severity in LEVEL)) throw new Error(`Invalid severity value '${block.severity}'`);
      out.set(block.domain, block);
    }
    return out;
  }

  /** fetch_instance_follows: the total of instance_follows, as int() reads it. */
  async follows(domain: string): Promise<number> {
    const res = await this.request("POST", `${this.base}/api/v1/admin/measures`, {
      keys: ["instance_follows"],
      instance_follows: { domain },
    });
    if (res.status !== 200) throw new Error(`Something went wrong: ${res.status}: ${await res.text()}`);
    const total = ((await res.json()) as Array<{ total: unknown }>)[0]?.total;
    if (typeof total !== "string" || !/^[0-9]+$/.test(total)) throw new Error(`invalid literal for int(): ${total}`);
    return Number(total);
  }

  /** check_followed_severity with max_followed_severity = silence. */
  async followedSeverity(domain: string, severity: string): Promise<string> {
    if ((LEVEL[severity] ?? 0) <= (LEVEL["silence"] ?? 0)) return severity;
    return (await this.follows(domain)) > 0 ? "silence" : severity;
  }

  /** push_blocklist, not a dry run. */
  async push(blocklist: readonly Block[]): Promise<void> {
    const server = await this.serverBlocks();
    for (const wanted of blocklist) {
      const newblock = { ...wanted };
      const oldblock = server.get(newblock.domain);
      if (oldblock) {
        const changes: string[] = BLOCK_FIELDS.filter((f) => oldblock[f] !== newblock[f]);
        if (changes.includes("severity") && (LEVEL[newblock.severity] ?? 0) > (LEVEL[oldblock.severity] ?? 0)) {
          const severity = await this.followedSeverity(oldblock.domain, newblock.severity);
          if (severity !== oldblock.severity) newblock.severity = severity;
          else changes.splice(changes.indexOf("severity"), 1);
        }
        if (changes.length > 0) {
          const { id, ...blockdata } = asDict({ ...oldblock, ...newblock, id: oldblock.id });
          const res = await this.request("PUT", `${this.base}/api/v1/admin/domain_blocks/${String(id)}`, blockdata);
          if (res.status !== 200) throw new Error(`Something went wrong: ${res.status}: ${await res.text()}`);
        }
      } else {
        newblock.severity = await this.followedSeverity(newblock.domain, newblock.severity);
        const res = await this.request("POST", `${this.base}/api/v1/admin/domain_blocks`, asDict(newblock));
        if (res.status !== 200 && res.status !== 422) {
          throw new Error(`Something went wrong: ${res.status}: ${await res.text()}`);
        }
      }
    }
  }
}

/** A block as fediblockhole holds it after parsing its sources with the default import fields. */
function merged(domain: string, severity: string, fields: Partial<Block> = {}): Block {
  return {
    domain,
    severity,
    public_comment: "",
    private_comment: "",
    reject_media: false,
    reject_reports: false,
    obfuscate: false,
    ...fields,
  };
}

describe("fediblockhole's requests, replayed", () => {
  let t: TestInstance;

  beforeAll(async () => {
    t = await startLoopbackInstance("127.0.0.1", TOKEN);
    await t.services.boards.create({ uri: "b", title: "Random" });
    // A board follows a group on followed.example: a suspend there would cut it.
    await t.services.store.federation.follows.add(
      follow({
        id: `${t.url}/ap/boards/b#follows/1`,
        actorId: `${t.url}/ap/boards/b`,
        objectId: "https://followed.example/groups/news",
        direction: "outbound",
        domain: "followed.example",
      }),
    );
  });
  afterAll(() => t.stop());

  const blocklist = [
    merged("followed.example", "suspend", { reject_media: true }),
    merged("spam.example", "suspend", { public_comment: "spam waves", reject_reports: true }),
    merged("quiet.example", "silence", { obfuscate: true }),
  ];
  const calls = (sent: readonly Sent[]) => sent.map((s) => `${s.method} ${s.path} ${s.status}`);
  const audited = async () => (await t.services.defederation.audit({ limit: 1000 })).length;

  it("creates the blocks on a first sync, asking for follows before each suspend", async () => {
    const tool = new Fediblockhole(t.url);
    await tool.push(blocklist);
    expect(calls(tool.sent)).toEqual([
      "GET /api/v1/admin/domain_blocks 200",
      "POST /api/v1/admin/measures 200",
      "POST /api/v1/admin/domain_blocks 200",
      "POST /api/v1/admin/measures 200",
      "POST /api/v1/admin/domain_blocks 200",
      "POST /api/v1/admin/domain_blocks 200",
    ]);
    expect(tool.sent[1]?.body).toBe(
      '{"keys": ["instance_follows"], "instance_follows": {"domain": "followed.example"}}',
    );
    expect(tool.sent[2]?.body).toBe(
      '{"domain": "followed.example", "severity": "silence", "public_comment": "", "private_comment": "", "reject_media": true, "reject_reports": false, "obfuscate": false}',
    );
    const blocks = await t.services.defederation.listBlocks();
    const byDomain = new Map(blocks.map((b) => [b.domain, b]));
    expect(byDomain.get("followed.example")).toMatchObject({
      severity: "silence",
      rejectMedia: true,
      publicComment: "",
    });
    expect(byDomain.get("spam.example")).toMatchObject({ severity: "suspend", publicComment: "spam waves" });
    expect(byDomain.get("quiet.example")).toMatchObject({ severity: "silence", obfuscate: true });
    expect(await audited()).toBe(3);
  });

  it("changes nothing on a second identical sync: no PUT, no new audit entry", async () => {
    const before = await audited();
    const tool = new Fediblockhole(t.url);
    await tool.push(blocklist);
    // The followed domain's suspend is still held back at silence after asking again.
    expect(calls(tool.sent)).toEqual(["GET /api/v1/admin/domain_blocks 200", "POST /api/v1/admin/measures 200"]);
    expect(await audited()).toBe(before);
  });

  it("PUTs the whole block when a field changed, and the next sync is quiet again", async () => {
    const changed = blocklist.map((b) => (b.domain === "quiet.example" ? { ...b, public_comment: "bots" } : b));
    const tool = new Fediblockhole(t.url);
    await tool.push(changed);
    const put = tool.sent.find((s) => s.method === "PUT");
    expect(put).toMatchObject({ status: 200, contentType: "application/json" });
    expect(JSON.parse(put?.body ?? "{}")).toEqual({
      domain: "quiet.example",
      severity: "silence",
      public_comment: "bots",
      private_comment: "",
      reject_media: false,
      reject_reports: false,
      obfuscate: true,
    });
    const again = new Fediblockhole(t.url);
    await again.push(changed);
    expect(again.sent.filter((s) => s.method === "PUT")).toEqual([]);
  });

  it("reads every block of a list longer than a page through Link, as it parses it", async () => {
    const actor = { kind: "token" as const, id: "ADMIN_TOKEN" };
    for (let i = 0; i < 150; i++) {
      await t.services.defederation.createBlock({ domain: `bulk${i}.example`, severity: "silence" }, actor);
    }
    const tool = new Fediblockhole(t.url);
    const server = await tool.serverBlocks();
    expect(server.size).toBe(153);
    expect(calls(tool.sent)).toEqual([
      "GET /api/v1/admin/domain_blocks 200",
      expect.stringMatching(/^GET \/api\/v1\/admin\/domain_blocks\?max_id=[\w-]+ 200$/),
    ]);
  });
});
