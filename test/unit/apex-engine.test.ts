import { describe, expect, it } from "vitest";
import { ApexEngine, REPLACED_BY_ATOLL } from "../../federation/apex/engine.js";
import { ApexStore } from "../../federation/apex/store.js";
import { buildAtollContext } from "../../federation/jsonld/contexts/atoll.js";
import { createDocumentLoader } from "../../federation/jsonld/loader.js";
import { createLogger } from "../../server/services/logger.js";

const PUB = "http://127.0.0.1:3000";
const CONTEXT = `${PUB}/ns/atoll.jsonld`;
const FOLLOWERS = `${PUB}/ap/boards/b/followers`;

function engine(items: unknown[], publicUrl = PUB): ApexEngine {
  const contextUrl = `${publicUrl}/ns/atoll.jsonld`;
  return new ApexEngine({
    publicUrl,
    contextUrl,
    loader: createDocumentLoader({ [contextUrl]: buildAtollContext(publicUrl) }),
    resolve: async (id) =>
      id === `${publicUrl}/ap/boards/b/followers`
        ? { count: async () => items.length, slice: async (o, l) => items.slice(o, o + l) }
        : null,
    logger: createLogger("error", () => {}),
  });
}

describe("apex engine", () => {
  const items = Array.from({ length: 45 }, (_, i) => `https://x.example/users/${i}`);

  it("builds the collection document with its count and first page", async () => {
    const doc = await engine(items).collection(FOLLOWERS, undefined);
    expect(doc).toMatchObject({
      id: FOLLOWERS,
      type: "OrderedCollection",
      totalItems: 45,
      first: `${FOLLOWERS}?page=true`,
    });
    expect(doc["@context"]).toEqual(expect.arrayContaining(["https://www.w3.org/ns/activitystreams", CONTEXT]));
  });

  it("pages by cursor until the last page, which has no next", async () => {
    const e = engine(items);
    const seen: unknown[] = [];
    let page: string | undefined = "true";
    let pages = 0;
    while (page !== undefined) {
      const doc = await e.collection(FOLLOWERS, page);
      expect(doc).toMatchObject({ type: "OrderedCollectionPage", partOf: FOLLOWERS, id: `${FOLLOWERS}?page=${page}` });
      seen.push(...(doc["orderedItems"] as unknown[]));
      const next = doc["next"];
      page = typeof next === "string" ? (new URL(next).searchParams.get("page") ?? undefined) : undefined;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(items);
  });

  it("keeps the items as the source gave them", async () => {
    const note = {
      id: `${PUB}/b/thread/1`,
      type: "Note",
      sage: true,
      to: ["https://www.w3.org/ns/activitystreams#Public"],
    };
    const doc = await engine([note]).collection(FOLLOWERS, "true");
    expect(doc["orderedItems"]).toEqual([note]);
    expect(doc["next"]).toBeUndefined();
  });

  it("refuses malformed cursors and unknown collections", async () => {
    const e = engine(items);
    await expect(e.collection(FOLLOWERS, "-1")).rejects.toMatchObject({ kind: "invalid" });
    await expect(e.collection(FOLLOWERS, "o1e9")).rejects.toMatchObject({ kind: "invalid" });
    await expect(e.collection(`${PUB}/ap/boards/b/nothing`, undefined)).rejects.toMatchObject({ kind: "not_found" });
  });

  it("two engines in one process keep their own settings", async () => {
    const other = "http://127.0.0.2:4000";
    const [a, b] = await Promise.all([
      engine(items).collection(FOLLOWERS, undefined),
      engine(items.slice(0, 3), other).collection(`${other}/ap/boards/b/followers`, undefined),
    ]);
    expect(a).toMatchObject({ totalItems: 45, id: FOLLOWERS });
    expect(b).toMatchObject({ totalItems: 3, id: `${other}/ap/boards/b/followers` });
  });

  it("the store refuses apex's own caches and delivery queue, and never fetches a context", async () => {
    const store = new ApexStore(async () => null, createDocumentLoader());
    await expect(store.saveObject()).rejects.toThrow(/replaces/);
    await expect(store.deliveryEnqueue()).rejects.toThrow(/replaces/);
    await expect(store.getContext("https://evil.example/ctx")).rejects.toThrow(/evil\.example/);
    expect(REPLACED_BY_ATOLL).toEqual(expect.arrayContaining(["requestObject", "deliver", "startDelivery"]));
  });
});
