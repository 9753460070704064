import { describe, expect, it } from "vitest";
import { keyIdOfHeaders } from "../../federation/http/key-id.js";
import {
  activityReferences,
  addressedBoards,
  checkActivityDomains,
  describeRefusal,
  documentReferences,
  suspendedReference,
} from "../../federation/inbox/domain-check.js";
import { type NormalizedActivity, normalizeActivity, normalizeObject } from "../../federation/vocab/normalize.js";
import type { BoardDomainRule, DomainBlock, Severity } from "../../server/domain/defederation/rules.js";
import { DomainPolicy } from "../../server/services/defederation/rules-in-force.js";
import { domainBlock } from "../support/domain-rules.js";

const AS = "https://www.w3.org/ns/activitystreams";
const PUBLIC = `${AS}#Public`;
const LOCAL = "https://atoll.example";
const NOW = 1_700_000_000_000;

function block(domain: string, severity: Severity = "suspend"): DomainBlock {
  return domainBlock(domain, severity);
}

function boardRule(board: string, domain: string): BoardDomainRule {
  return {
    id: `r-${board}-${domain}`,
    board,
    domain,
    severity: "suspend",
    rejectMedia: false,
    comment: "",
    createdAt: 0,
  };
}

function policy(opts: { blocks?: string[]; boardRules?: BoardDomainRule[]; mode?: "blocklist" | "allowlist" } = {}) {
  const p = new DomainPolicy({ clock: () => NOW, mode: opts.mode ?? "blocklist", publicUrl: LOCAL });
  p.replace(
    p.compile({ blocks: (opts.blocks ?? []).map((d) => block(d)), allows: [], boardRules: opts.boardRules ?? [] }),
  );
  return p;
}

function activity(json: Record<string, unknown>): NormalizedActivity {
  const a = normalizeActivity({ "@context": AS, ...json });
  if (!a.ok) throw new Error(a.reason);
  return a;
}

const boardOf = (id: string) => (id.startsWith(`${LOCAL}/ap/boards/`) ? id.slice(`${LOCAL}/ap/boards/`.length) : null);

const note = (extra: Record<string, unknown> = {}) => ({
  id: "https://allowed.example/notes/1",
  type: "Note",
  attributedTo: "https://allowed.example/users/a",
  to: [PUBLIC],
  cc: [`${LOCAL}/ap/boards/b`],
  content: "<p>hi</p>",
  ...extra,
});

const create = (object: unknown, extra: Record<string, unknown> = {}) =>
  activity({
    id: "https://allowed.example/activities/1",
    type: "Create",
    actor: "https://allowed.example/users/a",
    to: [PUBLIC],
    object,
    ...extra,
  });

describe("inbound domain check", () => {
  const rules = policy({ blocks: ["evil.example"] });

  it("lets through an activity that names only allowed domains", () => {
    expect(
      checkActivityDomains(rules, create(note()), { keyId: "https://allowed.example/users/a#main-key" }),
    ).toBeNull();
  });

  it("refuses an actor, a key or an activity id on a suspended domain, subdomains included", () => {
    const a = create(note(), { actor: "https://evil.example/users/x" });
    expect(checkActivityDomains(rules, a)?.field).toBe("actor");
    const keyed = checkActivityDomains(rules, create(note()), { keyId: "https://a.b.evil.example/k#main-key" });
    expect(keyed).toMatchObject({ field: "keyId", host: "a.b.evil.example" });
    expect(describeRefusal(keyed!)).toMatch(/keyId names a\.b\.evil\.example/);
    // whole-label matching: notevil.example is another domain
    expect(checkActivityDomains(rules, create(note(), { actor: "https://notevil.example/u" }))).toBeNull();
  });

  it("refuses an Announce of a third party's object by id or embedded", () => {
    const byId = activity({
      id: "https://group.example/a/1",
      type: "Announce",
      actor: "https://group.example/c/g",
      to: [PUBLIC],
      object: "https://evil.example/notes/9",
    });
    expect(checkActivityDomains(rules, byId)).toMatchObject({ field: "object", host: "evil.example" });
    const wrapped = activity({
      id: "https://group.example/a/2",
      type: "Announce",
      actor: "https://group.example/c/g",
      to: [PUBLIC],
      object: {
        id: "https://relay.example/create/1",
        type: "Create",
        actor: "https://relay.example/u/r",
        to: [PUBLIC],
        object: note({ id: "https://relay.example/n/1", attributedTo: "https://evil.example/users/x" }),
      },
    });
    expect(checkActivityDomains(rules, wrapped)?.field).toBe("object.object.attributedTo");
  });

  it("refuses quotes in any of their four spellings, replies, mentions, hashtags and every addressee", () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ quoteUrl: "https://evil.example/n/1" }, "quote"],
      [{ quote: "https://allowed.example/n/2", _misskey_quote: "https://evil.example/n/1" }, "_misskey_quote"],
      [{ quoteUri: "https://evil.example/n/1" }, "quote"],
      [{ inReplyTo: "https://evil.example/n/1" }, "inReplyTo"],
      [{ tag: [{ type: "Mention", href: "https://evil.example/users/x" }] }, "tag"],
      [{ tag: [{ type: "Hashtag", name: "#x", href: "https://evil.example/tags/x" }] }, "tag"],
      [{ cc: ["https://evil.example/users/x"] }, "cc"],
      [{ bcc: ["https://evil.example/users/x"] }, "bcc"],
      [{ audience: "https://evil.example/c/group" }, "audience"],
      [{ attributedTo: ["https://allowed.example/users/a", "https://evil.example/c/group"] }, "attributedTo"],
    ];
    for (const [extra, field] of cases) {
      const json = {
        id: "https://allowed.example/activities/1",
        type: "Create",
        actor: "https://allowed.example/users/a",
        to: [PUBLIC],
        object: note(extra),
      };
      const refusal = checkActivityDomains(rules, activity(json), { json });
      expect(refusal?.field, JSON.stringify(extra)).toMatch(new RegExp(`^object\\.(?:${field}|audience)$`));
    }
    // The activity's own addressing counts too.
    expect(checkActivityDomains(rules, create(note(), { to: ["https://evil.example/users/x"] }))?.field).toBe("to");
  });

  it("never treats the public collection as a domain", () => {
    const w3 = policy({ blocks: ["www.w3.org"] });
    expect(checkActivityDomains(w3, create(note()))).toBeNull();
  });

  it("applies the rules of the board posted to and of every board addressed", () => {
    const boards = policy({ boardRules: [boardRule("b", "allowed.example")] });
    expect(checkActivityDomains(boards, create(note()))).toBeNull();
    expect(checkActivityDomains(boards, create(note()), { boards: ["b"] })).toMatchObject({ board: "b" });
    // addressed to /b/ in cc: found without being told
    expect(checkActivityDomains(boards, create(note()), { boardOf })).toMatchObject({ board: "b" });
    expect(checkActivityDomains(boards, create(note({ cc: [] })), { boardOf, boards: ["c"] })).toBeNull();
  });

  it("counts every domain not allowed as suspended in allowlist mode", () => {
    const allowlist = policy({ mode: "allowlist" });
    expect(checkActivityDomains(allowlist, create(note()))?.decision.reason).toBe("not on the allowlist");
  });

  it("lists references once per place and checks each host once", () => {
    const refs = activityReferences(create(note()), { keyId: "https://allowed.example/users/a#main-key" });
    expect(refs.map((r) => r.field)).toEqual(
      expect.arrayContaining(["keyId", "id", "actor", "object", "object.id", "object.attributedTo", "object.cc"]),
    );
    expect(addressedBoards(refs, boardOf)).toEqual(["b"]);
    let checks = 0;
    const counting = {
      check: (host: string) => {
        checks++;
        return rules.check(host);
      },
    };
    expect(suspendedReference(counting, refs)).toBeNull();
    expect(checks).toBe(2); // allowed.example and atoll.example
  });

  it("checks a fetched document like an embedded one", () => {
    const doc = normalizeObject(note({ inReplyTo: "https://evil.example/n/1" }));
    if (!doc.ok) throw new Error(doc.reason);
    expect(suspendedReference(rules, documentReferences(doc))?.field).toBe("fetched.inReplyTo");
  });
});

describe("keyId before the body", () => {
  it("reads the keyId of a Signature or an Authorization header", () => {
    expect(keyIdOfHeaders({ signature: 'keyId="https://a.example/u#k",algorithm="rsa-sha256",signature="x"' })).toBe(
      "https://a.example/u#k",
    );
    expect(keyIdOfHeaders({ authorization: 'Signature headers="host", keyId="https://b.example/k"' })).toBe(
      "https://b.example/k",
    );
    expect(keyIdOfHeaders({ authorization: "Bearer x" })).toBeNull();
    expect(keyIdOfHeaders({})).toBeNull();
    expect(keyIdOfHeaders({ signature: "garbage" })).toBeNull();
  });
});
