import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  digestHeader,
  keyOwnerOf,
  PublicKeyCache,
  parseSignatureHeader,
  SignatureError,
  type SignatureErrorReason,
  signRequest,
  type VerifiableRequest,
  verifyRequest,
  verifyRequestAsync,
} from "../../federation/http/signatures.js";

const pem = { type: "spki", format: "pem" } as const;
const pkcs8 = { type: "pkcs8", format: "pem" } as const;
const { publicKey: publicKeyPem, privateKey: privateKeyPem } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  publicKeyEncoding: pem,
  privateKeyEncoding: pkcs8,
});
// A second RSA key, but small: only ever the wrong key, never used to sign what must verify.
const other = generateKeyPairSync("rsa", { modulusLength: 1024, publicKeyEncoding: pem, privateKeyEncoding: pkcs8 });

const keyId = "https://social.example/users/alice#main-key";
const now = new Date("2026-03-01T12:00:00Z");
const inbox = new URL("https://atoll.example/b/inbox?x=1");

/** What a server would see for a request signed with signRequest. */
function signed(method: "GET" | "POST", body?: string, url = inbox, at = now): VerifiableRequest {
  const added = signRequest({ method, url, headers: {}, body, keyId, privateKeyPem, now: at });
  const headers: Record<string, string> = { "content-type": "application/activity+json" };
  for (const [name, value] of Object.entries(added)) headers[name.toLowerCase()] = value;
  return {
    method,
    path: `${url.pathname}${url.search}`,
    headers,
    ...(body === undefined ? {} : { rawBody: Buffer.from(body) }),
  };
}

function reasonOf(work: () => unknown): SignatureErrorReason | "none" {
  try {
    work();
    return "none";
  } catch (e) {
    expect(e).toBeInstanceOf(SignatureError);
    return (e as SignatureError).reason;
  }
}

const verify = (req: VerifiableRequest, extra: Partial<Parameters<typeof verifyRequest>[1]> = {}) =>
  reasonOf(() => verifyRequest(req, { publicKeyPem, now, ...extra }));

/** Signs a hand-built signing string, independently of signRequest. */
function handSign(lines: string[], key = privateKeyPem): string {
  return sign("sha256", Buffer.from(lines.join("\n")), key).toString("base64");
}

describe("digestHeader", () => {
  it("is SHA-256 in base64 of the exact bytes", () => {
    const body = '{"type":"Create"}';
    const expected = createHash("sha256").update(body).digest("base64");
    expect(digestHeader(body)).toBe(`SHA-256=${expected}`);
    expect(digestHeader(Buffer.from(body))).toBe(`SHA-256=${expected}`);
    expect(digestHeader("")).toBe("SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  });
});

describe("signRequest", () => {
  it("adds Date, Host and Signature to a GET, and Digest to a POST", () => {
    const get = signRequest({ method: "GET", url: inbox, headers: {}, keyId, privateKeyPem, now });
    expect(Object.keys(get).sort()).toEqual(["Date", "Host", "Signature"]);
    expect(get["Date"]).toBe("Sun, 01 Mar 2026 12:00:00 GMT");
    expect(get["Host"]).toBe("atoll.example");
    const parsed = parseSignatureHeader(get["Signature"]!);
    expect(parsed).toMatchObject({ keyId, algorithm: "rsa-sha256", headers: ["(request-target)", "host", "date"] });

    const post = signRequest({ method: "POST", url: inbox, headers: {}, body: "{}", keyId, privateKeyPem, now });
    expect(post["Digest"]).toBe(digestHeader("{}"));
    expect(parseSignatureHeader(post["Signature"]!).headers).toEqual(["(request-target)", "host", "date", "digest"]);
  });

  it("keeps a non-default port in Host", () => {
    const url = new URL("http://127.0.0.1:3000/inbox");
    expect(signRequest({ method: "GET", url, headers: {}, keyId, privateKeyPem, now })["Host"]).toBe("127.0.0.1:3000");
  });

  it("refuses an unusable key or keyId with SignatureError", () => {
    const base = { method: "GET", url: inbox, headers: {}, now };
    expect(reasonOf(() => signRequest({ ...base, keyId, privateKeyPem: "not a key" }))).toBe("key");
    const ed = generateKeyPairSync("ed25519", { privateKeyEncoding: pkcs8, publicKeyEncoding: pem });
    expect(reasonOf(() => signRequest({ ...base, keyId, privateKeyPem: ed.privateKey }))).toBe("key");
    expect(reasonOf(() => signRequest({ ...base, keyId: 'a"b', privateKeyPem }))).toBe("key");
  });
});

describe("verifyRequestAsync", () => {
  const verifyAsync = async (req: VerifiableRequest): Promise<SignatureErrorReason | "none"> => {
    try {
      await verifyRequestAsync(req, { publicKeyPem, now });
      return "none";
    } catch (e) {
      expect(e).toBeInstanceOf(SignatureError);
      return (e as SignatureError).reason;
    }
  };

  it("agrees with verifyRequest: accepts a good signature, refuses tampering and a stale date", async () => {
    const post = signed("POST", '{"type":"Follow"}');
    expect(await verifyAsync(post)).toBe("none");
    expect(await verifyAsync({ ...post, path: "/b/inbox" })).toBe("signature");
    expect(await verifyAsync({ ...post, rawBody: Buffer.from("{}") })).toBe("digest");
    const old = signed("POST", "{}", inbox, new Date(now.getTime() - 3 * 3_600_000));
    expect(await verifyAsync(old)).toBe(verify(old));
  });
});

describe("verifyRequest", () => {
  it("accepts what signRequest signs, GET and POST", () => {
    expect(verify(signed("GET"))).toBe("none");
    expect(verify(signed("POST", '{"type":"Follow"}'))).toBe("none");
    expect(verify(signed("POST", ""))).toBe("none");
  });

  it("accepts the Authorization: Signature form", () => {
    const req = signed("GET");
    const { signature, ...rest } = req.headers;
    expect(verify({ ...req, headers: { ...rest, authorization: `Signature ${signature as string}` } })).toBe("none");
  });

  it("refuses tampering with the body, a header, the path, the method or the date", () => {
    const post = signed("POST", '{"type":"Follow"}');
    expect(verify({ ...post, rawBody: Buffer.from('{"type":"Block"}') })).toBe("digest");
    expect(verify({ ...post, headers: { ...post.headers, host: "evil.example" } })).toBe("signature");
    expect(verify({ ...post, path: "/c/inbox?x=1" })).toBe("signature");
    expect(verify({ ...post, path: "/b/inbox" })).toBe("signature");
    expect(verify({ ...post, method: "PUT" })).toBe("signature");
    const later = new Date(now.getTime() + 1000).toUTCString();
    expect(verify({ ...post, headers: { ...post.headers, date: later } })).toBe("signature");
    const sig = post.headers["signature"] as string;
    const flipped = sig.replace(/signature="(.)/, (_m, c: string) => `signature="${c === "A" ? "B" : "A"}`);
    expect(verify({ ...post, headers: { ...post.headers, signature: flipped } })).toBe("signature");
  });

  it("with digestChecked, does not hash the body again but still requires a signed Digest", () => {
    const post = signed("POST", '{"type":"Follow"}');
    const other = { ...post, rawBody: Buffer.from('{"type":"Block"}') };
    expect(verify(other)).toBe("digest");
    expect(verify(other, { digestChecked: true })).toBe("none");
    const { digest: _dropped, ...withoutDigest } = post.headers;
    expect(verify({ ...post, headers: withoutDigest }, { digestChecked: true })).toBe("digest");
  });

  it("refuses a replayed Digest with another body, and a body without digest", () => {
    const first = signed("POST", '{"n":1}');
    const second = signed("POST", '{"n":2}');
    expect(verify({ ...second, headers: { ...second.headers, digest: first.headers["digest"] } })).toBe("digest");
    const { digest: _digest, ...withoutDigest } = first.headers;
    expect(verify({ ...first, headers: withoutDigest })).toBe("digest");
    expect(verify({ ...first, rawBody: undefined })).toBe("digest");
    // A GET that smuggles a body must still cover it.
    const get = signed("GET");
    expect(verify({ ...get, rawBody: Buffer.from("x") })).toBe("digest");
  });

  it("checks the Date window: 1 h in the past, 5 min ahead, configurable", () => {
    const req = signed("GET");
    expect(verify(req, { now: new Date(now.getTime() + 59 * 60_000) })).toBe("none");
    expect(verify(req, { now: new Date(now.getTime() + 61 * 60_000) })).toBe("date");
    expect(verify(req, { now: new Date(now.getTime() - 4 * 60_000) })).toBe("none");
    expect(verify(req, { now: new Date(now.getTime() - 6 * 60_000) })).toBe("date");
    expect(verify(req, { now: new Date(now.getTime() + 11 * 3600_000), maxSkewMs: 12 * 3600_000 })).toBe("none");
    expect(verify(req, { now: new Date(now.getTime() - 10 * 60_000), maxFutureMs: 15 * 60_000 })).toBe("none");
    expect(verify({ ...req, headers: { ...req.headers, date: "yesterday-ish" } })).toBe("date");
  });

  it("refuses a missing or unsupported signature", () => {
    const req = signed("GET");
    const { signature, ...unsigned } = req.headers;
    expect(verify({ ...req, headers: unsigned })).toBe("missing");
    expect(verify({ ...req, headers: { ...unsigned, authorization: "Bearer abc" } })).toBe("missing");
    const hmac = (signature as string).replace('algorithm="rsa-sha256"', 'algorithm="hmac-sha256"');
    expect(verify({ ...req, headers: { ...req.headers, signature: hmac } })).toBe("algorithm");
  });

  it("refuses the wrong key, and keys that are not RSA", () => {
    const req = signed("GET");
    expect(verify(req, { publicKeyPem: other.publicKey })).toBe("signature");
    expect(verify(req, { publicKeyPem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----" })).toBe("key");
    const ed = generateKeyPairSync("ed25519", { privateKeyEncoding: pkcs8, publicKeyEncoding: pem });
    expect(verify(req, { publicKeyPem: ed.publicKey })).toBe("key");
  });

  it("verifies a vector built by hand with node:crypto, with the algorithm rsa-sha256, hs2019 or absent", () => {
    const body = '{"@context":"https://www.w3.org/ns/activitystreams","type":"Like"}';
    const digest = `SHA-256=${createHash("sha256").update(body).digest("base64")}`;
    const date = "Sun, 01 Mar 2026 11:59:30 GMT";
    const lines = [
      "(request-target): post /b/inbox",
      "host: atoll.example",
      `date: ${date}`,
      `digest: ${digest}`,
      "content-type: application/activity+json",
    ];
    const signature = handSign(lines);
    const headers = {
      host: "atoll.example",
      date,
      digest,
      "content-type": "application/activity+json",
    };
    const list = "(request-target) host date digest content-type";
    for (const algorithm of ['algorithm="rsa-sha256",', 'algorithm="hs2019",', ""]) {
      const value = `keyId="${keyId}",${algorithm}headers="${list}",signature="${signature}"`;
      const req = {
        method: "POST",
        path: "/b/inbox",
        headers: { ...headers, signature: value },
        rawBody: Buffer.from(body),
      };
      expect(verify(req), algorithm).toBe("none");
      expect(verify(req, { requiredHeaders: ["content-type"] })).toBe("none");
      expect(verify(req, { requiredHeaders: ["accept"] })).toBe("headers");
    }
  });

  it("joins multiple values of a header with a comma and a space", () => {
    const date = now.toUTCString();
    const lines = [
      "(request-target): get /b/outbox",
      "host: atoll.example",
      `date: ${date}`,
      "x-forwarded-for: 1.2.3.4, 5.6.7.8",
    ];
    const value = `keyId="${keyId}",algorithm="rsa-sha256",headers="(request-target) host date x-forwarded-for",signature="${handSign(lines)}"`;
    const req = (xff: string | string[]) => ({
      method: "GET",
      path: "/b/outbox",
      headers: { host: "atoll.example", date, "x-forwarded-for": xff, signature: value },
    });
    expect(verify(req(["1.2.3.4", "5.6.7.8"]))).toBe("none");
    expect(verify(req("1.2.3.4, 5.6.7.8"))).toBe("none");
    expect(verify(req(["1.2.3.4"]))).toBe("signature");
  });

  it("accepts hs2019 with (created) in place of Date, and checks (created) and (expires)", () => {
    const created = Math.floor(now.getTime() / 1000) - 30;
    const make = (opts: { created?: number; expires?: number; algorithm?: string; list?: string }) => {
      const list = opts.list ?? "(request-target) (created) host";
      const lines = list.split(" ").map((name) => {
        if (name === "(request-target)") return "(request-target): get /b";
        if (name === "(created)") return `(created): ${opts.created ?? created}`;
        if (name === "(expires)") return `(expires): ${opts.expires}`;
        return "host: atoll.example";
      });
      const params = [
        `keyId="${keyId}"`,
        `algorithm="${opts.algorithm ?? "hs2019"}"`,
        `created=${opts.created ?? created}`,
        ...(opts.expires === undefined ? [] : [`expires=${opts.expires}`]),
        `headers="${list}"`,
        `signature="${handSign(lines)}"`,
      ];
      return { method: "GET", path: "/b", headers: { host: "atoll.example", signature: params.join(",") } };
    };
    expect(verify(make({}))).toBe("none");
    expect(verify(make({ created: created - 7200 }))).toBe("date");
    expect(verify(make({ created: created + 3600 }))).toBe("date");
    expect(verify(make({ expires: created + 600, list: "(request-target) (created) (expires) host" }))).toBe("none");
    expect(verify(make({ expires: created + 10, list: "(request-target) (created) (expires) host" }))).toBe("expired");
    expect(verify(make({ algorithm: "rsa-sha256" }))).toBe("headers");
    expect(verify(make({ list: "(request-target) host" }))).toBe("headers");
  });

  it("requires (request-target), host and date to be signed", () => {
    const date = now.toUTCString();
    const headers = { host: "atoll.example", date };
    for (const list of ["host date", "(request-target) date", "(request-target) host", "date"]) {
      const lines = list
        .split(" ")
        .map((n) => (n === "(request-target)" ? "(request-target): get /b" : `${n}: ${headers[n as "host" | "date"]}`));
      const value = `keyId="${keyId}",headers="${list}",signature="${handSign(lines)}"`;
      expect(verify({ method: "GET", path: "/b", headers: { ...headers, signature: value } }), list).toBe("headers");
    }
    const noList = `keyId="${keyId}",signature="${handSign([`date: ${date}`])}"`;
    expect(verify({ method: "GET", path: "/b", headers: { ...headers, signature: noList } })).toBe("headers");
  });

  it("refuses a signed header the request does not carry, and unknown pseudo-headers", () => {
    const req = signed("GET");
    const { host: _host, ...noHost } = req.headers;
    expect(verify({ ...req, headers: noHost })).toBe("headers");
    const sig = (req.headers["signature"] as string).replace('date"', 'date (bogus)"');
    expect(verify({ ...req, headers: { ...req.headers, signature: sig } })).toBe("headers");
  });

  it("reads Digest in either case, ignores other algorithms beside SHA-256, needs SHA-256", () => {
    const body = "payload";
    const sha = createHash("sha256").update(body).digest("base64");
    const make = (digest: string) => {
      const date = now.toUTCString();
      const lines = ["(request-target): post /b/inbox", "host: atoll.example", `date: ${date}`, `digest: ${digest}`];
      const value = `keyId="${keyId}",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="${handSign(lines)}"`;
      return {
        method: "POST",
        path: "/b/inbox",
        headers: { host: "atoll.example", date, digest, signature: value },
        rawBody: Buffer.from(body),
      };
    };
    expect(verify(make(`sha-256=${sha}`))).toBe("none");
    expect(verify(make(`SHA-512=abcd,SHA-256=${sha}`))).toBe("none");
    expect(verify(make("SHA-512=abcd"))).toBe("digest");
    expect(verify(make(`SHA-256=${sha},SHA-256=${createHash("sha256").update("x").digest("base64")}`))).toBe("digest");
    expect(verify(make("SHA-256=not base64!"))).toBe("digest");
  });
});

describe("parseSignatureHeader", () => {
  const sig = Buffer.from("signature bytes").toString("base64");

  it("reads quoted values, commas and escapes inside quotes, and whitespace between parameters", () => {
    const parsed = parseSignatureHeader(
      `keyId="https://a.example/u?x=1,2#k" , algorithm = "RSA-SHA256",headers="(request-target) Host date",signature="${sig}",created=1700000000,expires="1700000600.5",ext="a\\"b"`,
    );
    expect(parsed).toEqual({
      keyId: "https://a.example/u?x=1,2#k",
      algorithm: "rsa-sha256",
      headers: ["(request-target)", "host", "date"],
      signature: Buffer.from("signature bytes"),
      created: 1700000000,
      expires: 1700000600.5,
    });
    expect(parseSignatureHeader(`Signature keyId="k",signature="${sig}"`)).toMatchObject({
      keyId: "k",
      algorithm: null,
      headers: ["date"],
    });
  });

  it("refuses malformed input with SignatureError('malformed')", () => {
    for (const bad of [
      "",
      "garbage",
      `keyId="k,signature="${sig}"`, // unterminated
      `keyId="k",signature="${sig}`,
      `keyId="k",signature="${sig}\\`,
      `signature="${sig}"`, // no keyId
      `keyId="",signature="${sig}"`,
      `keyId="k"`,
      `keyId="k",signature="not*base64"`,
      `keyId="k",signature="abc"`, // unpadded
      `keyId="k",signature=""`,
      `keyId="k",keyId="j",signature="${sig}"`,
      `keyId="k",KEYID="j",signature="${sig}"`,
      `keyId="k",signature="${sig}",`,
      `keyId="k" signature="${sig}"`,
      `keyId="k",,signature="${sig}"`,
      `keyId="k",signature="${sig}",headers=""`,
      `keyId="k",signature="${sig}",headers="date date"`,
      `keyId="k",signature="${sig}",headers="date: x"`,
      `keyId="k",signature="${sig}",created="soon"`,
      `keyId="k",signature="${sig}",expires=-1`,
      `keyId="a\nb",signature="${sig}"`,
      `=x,keyId="k",signature="${sig}"`,
      `keyId="${"k".repeat(9000)}",signature="${sig}"`,
      `${Array.from({ length: 20 }, (_, i) => `p${i}="v"`).join(",")},keyId="k",signature="${sig}"`,
    ]) {
      expect(
        reasonOf(() => parseSignatureHeader(bad)),
        bad.slice(0, 80),
      ).toBe("malformed");
    }
    expect(verify({ method: "GET", path: "/", headers: { signature: `keyId="k,signature="${sig}"` } })).toBe(
      "malformed",
    );
  });

  it("throws nothing but SignatureError on random input", () => {
    const alphabet = 'keyIdsgnatureh="=, \\\t()abcAZ09+/';
    const others: unknown[] = [];
    let refused = 0;
    for (let n = 0; n < 3000; n++) {
      const bytes = randomBytes(1 + (n % 80));
      const input = Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
      try {
        parseSignatureHeader(input);
        verifyRequest(
          { method: "POST", path: "/", headers: { signature: input, date: input, host: input } },
          { publicKeyPem },
        );
      } catch (e) {
        if (e instanceof SignatureError) refused++;
        else others.push(e);
      }
    }
    expect(others).toEqual([]);
    // Random bytes never make a signature that verifies.
    expect(refused).toBe(3000);
  });
});

describe("keyOwnerOf", () => {
  it("strips the fragment or a trailing /main-key", () => {
    expect(keyOwnerOf("https://mastodon.example/users/alice#main-key")).toBe("https://mastodon.example/users/alice");
    expect(keyOwnerOf("https://gts.example/users/bob/main-key")).toBe("https://gts.example/users/bob");
    expect(keyOwnerOf("https://misskey.example/users/9abc#other")).toBe("https://misskey.example/users/9abc");
    expect(keyOwnerOf("https://plain.example/key")).toBe("https://plain.example/key");
    expect(keyOwnerOf("")).toBe("");
  });
});

describe("PublicKeyCache", () => {
  it("parses each key once and verifies with the parsed key, refusing what it cannot read", () => {
    const cache = new PublicKeyCache(2);
    const first = cache.get(publicKeyPem);
    expect(cache.get(publicKeyPem)).toBe(first);
    expect(verify(signed("POST", '{"a":1}'), { keyCache: cache })).toBe("none");
    expect(verify(signed("POST", '{"a":1}'), { keyCache: cache, publicKeyPem: other.publicKey })).toBe("signature");
    expect(reasonOf(() => cache.get("not a key"))).toBe("key");
    // Bounded: a third key evicts the oldest.
    cache.get(other.publicKey);
    cache.get(
      generateKeyPairSync("rsa", { modulusLength: 1024, publicKeyEncoding: pem, privateKeyEncoding: pkcs8 }).publicKey,
    );
    expect(cache.get(publicKeyPem)).not.toBe(first);
  });
});
