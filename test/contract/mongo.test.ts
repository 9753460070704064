import { randomBytes } from "node:crypto";
import { MongoClient } from "mongodb";
import { describe, expect, it } from "vitest";
import type { Store } from "../../server/domain/ports.js";
import { databaseNameFromUrl } from "../../storage/mongo/connection.js";
import { openMongoStore } from "../../storage/mongo/store.js";
import { describeStoreContract } from "./store-contract.js";

const baseUrl = process.env["MONGODB_URL"];

/** The same server and options with another database name in the path. */
function withDatabase(url: string, name: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?#]*)(?:\/[^?#]*)?(.*)$/.exec(url);
  if (!match) throw new Error("MONGODB_URL must start with mongodb:// or mongodb+srv://");
  return `${match[1]}/${name}${match[2]}`;
}

describe("MongoDB URL parsing", () => {
  it("takes the database name from the path, defaulting to atoll", () => {
    expect(databaseNameFromUrl("mongodb://localhost:27017/board-db")).toBe("board-db");
    expect(databaseNameFromUrl("mongodb://localhost:27017")).toBe("atoll");
    expect(databaseNameFromUrl("mongodb://localhost:27017/")).toBe("atoll");
    expect(databaseNameFromUrl("mongodb://h1:1,h2:2/x?replicaSet=rs0")).toBe("x");
    expect(databaseNameFromUrl("mongodb+srv://u:p@cluster.example/?retryWrites=true")).toBe("atoll");
    expect(withDatabase("mongodb://h1:1,h2:2/x?replicaSet=rs0", "y")).toBe("mongodb://h1:1,h2:2/y?replicaSet=rs0");
    expect(withDatabase("mongodb://h:1?directConnection=true", "y")).toBe("mongodb://h:1/y?directConnection=true");
  });
});

if (baseUrl) {
  const runId = randomBytes(4).toString("hex");
  const created: string[] = [];
  const urls = new WeakMap<Store, string>();
  let seq = 0;

  async function openAt(url: string): Promise<Store> {
    const store = await openMongoStore(url);
    urls.set(store, url);
    return store;
  }

  describeStoreContract(
    "MongoDB store",
    async () => {
      const name = `atoll_test_${runId}_${++seq}`;
      created.push(name);
      return openAt(withDatabase(baseUrl, name));
    },
    async () => {
      const client = new MongoClient(baseUrl);
      try {
        for (const name of created) await client.db(name).dropDatabase();
      } finally {
        await client.close();
      }
    },
    { reopen: async (closed) => openAt(urls.get(closed)!) },
  );
} else {
  describe.skip("MongoDB store (skipped: MONGODB_URL is not set)", () => {
    it("runs the store contract against MongoDB", () => {
      expect(baseUrl).toBeDefined();
    });
  });
}
