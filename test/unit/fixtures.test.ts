import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { describe, expect, it } from "vitest";
import { checkShape, createDocumentLoader, expandActivity } from "../../federation/jsonld/loader.js";
import { ACTOR_TYPES } from "../../federation/vocab/as-types.js";
import {
  AS_PUBLIC,
  type NormalizeError,
  normalizeActivity,
  normalizeActor,
  normalizeCollection,
  normalizeObject,
} from "../../federation/vocab/normalize.js";
import { projectRoot } from "../../server/paths.js";

// Real messages from fourteen implementations, kept outside the project (see its README).
const root = join(projectRoot(), "..", "shared", "fixtures", "activitypub");
const present = existsSync(root);

function jsonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? jsonFiles(join(dir, e.name)) : e.name.endsWith(".json") ? [join(dir, e.name)] : [],
    )
    .sort();
}

const files = present ? jsonFiles(root).map((path) => relative(root, path).split(sep).join("/")) : [];
const load = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(root, name), "utf8"));
const folderOf = (name: string) => name.split("/")[1] as "activities" | "objects" | "collections";

const SHAPE = { maxDepth: 32, maxKeys: 256, maxArrayLength: 4096, maxStringLength: 512 * 1024 };

/**
 * Documents the normaliser legitimately does not accept in their folder's role, with the reason it
 * gives. Anything refused that is not listed here fails the test, so a regression is noticed.
 */
const REFUSED: Record<string, RegExp> = {
  // Filed with the activities, but it is a bare Note (a direct message); it normalizes as an object.
  "mastodon/activities/private_message.json": /type Note is not an activity/,
};

/** Actors that normalize but without a usable key, and why. */
const KEYLESS_ACTORS: Record<string, string> = {
  // The group's publicKey names another actor (actor/2) as its owner, so it is not the group's key.
  "gnusocial/objects/group.json": "https://instance.gnusocial.test/actor/21",
};

/** Activities whose object must be present (as an id or embedded). */
const NEEDS_OBJECT = new Set(["Create", "Announce", "Like", "Dislike", "Follow", "Delete", "Update", "Undo", "Flag"]);

/** Contexts of a fixture that the preloaded loader does not serve (expansion must then refuse it). */
async function missingContexts(doc: Record<string, unknown>): Promise<string[]> {
  const loader = createDocumentLoader();
  const ctx = doc["@context"];
  const urls = (Array.isArray(ctx) ? ctx : ctx === undefined ? [] : [ctx]).filter((c) => typeof c === "string");
  const missing: string[] = [];
  for (const url of urls) {
    await loader(url).catch(() => missing.push(url));
  }
  return missing;
}

function expectRefusal(result: { ok: boolean }, name: string): void {
  const reason = REFUSED[name];
  if (reason === undefined) {
    expect(result, `${name}: ${(result as NormalizeError).reason}`).toMatchObject({ ok: true });
  } else {
    expect(result.ok).toBe(false);
    expect((result as NormalizeError).reason).toMatch(reason);
  }
}

(present ? describe : describe.skip)(
  present
    ? "ActivityPub fixtures from fourteen implementations"
    : "ActivityPub fixtures (absent: ../shared/fixtures/activitypub not found)",
  () => {
    it("finds the fixtures of every implementation", () => {
      const software = new Set(files.map((f) => f.split("/")[0]));
      expect(software.size).toBe(14);
      expect(files.length).toBeGreaterThan(100);
      for (const name of Object.keys(REFUSED)) expect(files).toContain(name);
    });

    describe.each(files)("%s", (name) => {
      it("is within the shape limits", () => {
        expect(() => checkShape(load(name), SHAPE)).not.toThrow();
      });

      it("normalizes", () => {
        const doc = load(name);
        const folder = folderOf(name);
        if (folder === "activities") {
          const result = normalizeActivity(doc);
          expectRefusal(result, name);
          if (!result.ok) {
            // The refused ones are still readable as what they really are.
            expect(normalizeObject(doc)).toMatchObject({ ok: true, id: doc.id });
            return;
          }
          expect(result.id).toBe(doc.id);
          expect(result.type).toBe(doc.type);
          expect(result.actor).toMatch(/^https?:\/\//);
          if (NEEDS_OBJECT.has(result.type)) {
            expect(result.object).toBeDefined();
            expect(result.objectIds.length).toBeGreaterThan(0);
            for (const id of result.objectIds) expect(id).toMatch(/^https?:\/\//);
          }
          for (const list of [result.to, result.cc, result.audience]) {
            for (const id of list) expect(id).toMatch(/^https?:\/\//);
          }
        } else if (folder === "objects") {
          if (typeof doc.type === "string" && ACTOR_TYPES.has(doc.type)) {
            const result = normalizeActor(doc);
            expectRefusal(result, name);
            if (!result.ok) return;
            expect(result.id).toBe(doc.id);
            expect(result.inbox).toMatch(/^https?:\/\//);
            if (name in KEYLESS_ACTORS) {
              expect(result.publicKey).toBeUndefined();
            } else {
              expect(result.publicKey?.owner).toBe(result.id);
              expect(result.publicKey?.publicKeyPem).toMatch(/^-----BEGIN (RSA )?PUBLIC KEY-----/);
            }
          } else {
            const result = normalizeObject(doc);
            expectRefusal(result, name);
            if (!result.ok) return;
            expect(result.id).toBe(doc.id);
            expect(result.type).toBe(doc.type);
            if (["Note", "Page", "Article", "ChatMessage"].includes(result.type)) {
              expect(result.content ?? result.name).toBeTruthy();
              expect(result.attributedTo).toMatch(/^https?:\/\//);
            }
          }
        } else {
          const result = normalizeCollection(doc);
          expectRefusal(result, name);
          if (!result.ok) return;
          expect(result.id).toBe(doc.id);
          const raw = (doc.orderedItems ?? doc.items ?? []) as unknown[];
          expect(result.items).toHaveLength(raw.length);
        }
      });

      it("expands with the preloaded contexts only, or is refused naming the missing one", async () => {
        const doc = load(name);
        const missing = await missingContexts(doc);
        const expanding = expandActivity(doc, { maxBytes: 1024 * 1024, maxDepth: 32 });
        if (missing.length === 0) {
          const expanded = (await expanding) as Array<Record<string, unknown>>;
          expect(expanded).toHaveLength(1);
          expect(expanded[0]?.["@id"]).toBe(doc.id);
        } else {
          await expect(expanding).rejects.toThrow(`JSON-LD context not preloaded: ${missing[0]}`);
        }
      });
    });

    it("refuses expansion only for the contexts outside the preloaded set", async () => {
      const refused: string[] = [];
      for (const name of files) {
        if ((await missingContexts(load(name))).length > 0) refused.push(name);
      }
      // Mbin serves its context from each instance (https://fedia.io/contexts); it is not preloaded.
      expect(refused).toEqual(["mbin/objects/instance.json"]);
    });

    it("reads the public collection in every spelling the fixtures use", () => {
      let publicOnes = 0;
      for (const name of files.filter((f) => folderOf(f) === "activities")) {
        const result = normalizeActivity(load(name));
        if (result.ok && [...result.to, ...result.cc].includes(AS_PUBLIC)) publicOnes++;
      }
      expect(publicOnes).toBeGreaterThan(30);
    });
  },
);
