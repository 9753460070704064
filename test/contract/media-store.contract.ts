import { createHash } from "node:crypto";
import { buffer } from "node:stream/consumers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MediaStore } from "../../server/domain/ports.js";

/** A fresh, empty media store, and how to remove it after the test. */
export type MediaStoreFactory = () => Promise<{ media: MediaStore; cleanup(): Promise<void> }>;

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const a of iterable) out.push(a);
  return out.sort();
}

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/** What every MediaStore adapter does the same way: the file system's and the S3 bucket's. */
export function mediaStoreContract(name: string, make: MediaStoreFactory): void {
  describe(`MediaStore contract: ${name}`, () => {
    let media: MediaStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ media, cleanup } = await make());
    });
    afterEach(async () => {
      await cleanup();
    });

    it("stores a blob under its sha256 and reads it back whole with its size", async () => {
      const data = Buffer.from("a small image, or close enough");
      const address = await media.put(data);
      expect(address).toBe(sha(data));
      expect(await media.has(address)).toBe(true);
      const blob = await media.open(address);
      expect(blob?.size).toBe(data.length);
      expect(await buffer(blob!.stream)).toEqual(data);
    });

    it("round-trips binary data of several sizes, including empty", async () => {
      for (const size of [0, 1, 65_537, 1_000_003]) {
        const data = Buffer.alloc(size, size % 251);
        const address = await media.put(data);
        const blob = await media.open(address);
        expect(blob?.size).toBe(size);
        expect((await buffer(blob!.stream)).equals(data)).toBe(true);
      }
    });

    it("streams the byte span chosen knowing the size, and the whole blob when none is chosen", async () => {
      const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 256));
      const address = await media.put(data);
      const seen: number[] = [];
      const part = await media.open(address, (size) => {
        seen.push(size);
        return { start: 1000, end: 1999 };
      });
      expect(seen).toEqual([5000]);
      expect(part?.size).toBe(5000);
      expect((await buffer(part!.stream)).equals(data.subarray(1000, 2000))).toBe(true);
      const tail = await media.open(address, (size) => ({ start: size - 1, end: size - 1 }));
      expect((await buffer(tail!.stream)).equals(data.subarray(4999))).toBe(true);
      const whole = await media.open(address, () => null);
      expect((await buffer(whole!.stream)).equals(data)).toBe(true);
    });

    it("is idempotent: the same bytes put again, even at once, are one blob", async () => {
      const data = Buffer.from("same bytes");
      const first = await media.put(data);
      const again = await Promise.all([media.put(data), media.put(Buffer.from(data)), media.put(data)]);
      expect(again).toEqual([first, first, first]);
      expect(await collect(media.list())).toEqual([first]);
      expect(await buffer((await media.open(first))!.stream)).toEqual(data);
    });

    it("answers null and false for an absent blob, and deletes idempotently", async () => {
      const address = await media.put(Buffer.from("to delete"));
      const kept = await media.put(Buffer.from("to keep"));
      await media.delete(address);
      await media.delete(address);
      expect(await media.has(address)).toBe(false);
      expect(await media.open(address)).toBeNull();
      expect(await media.open(address, () => ({ start: 0, end: 0 }))).toBeNull();
      expect(await media.open("0".repeat(64))).toBeNull();
      expect(await media.has(kept)).toBe(true);
    });

    it("refuses anything but 64 lowercase hex digits", async () => {
      for (const address of ["../secret", "A".repeat(64), "a".repeat(63), `${"a".repeat(64)}/x`, ""]) {
        await expect(media.open(address)).rejects.toMatchObject({ name: "DomainError", kind: "invalid" });
        await expect(media.has(address)).rejects.toMatchObject({ kind: "invalid" });
        await expect(media.delete(address)).rejects.toMatchObject({ kind: "invalid" });
      }
      expect(await collect(media.list())).toEqual([]);
    });

    it("lists every stored address once, and no longer a deleted one", async () => {
      expect(await collect(media.list())).toEqual([]);
      const addresses = await Promise.all(
        Array.from({ length: 12 }, (_, i) => media.put(Buffer.from(`blob number ${i}`))),
      );
      expect(await collect(media.list())).toEqual([...addresses].sort());
      await media.delete(addresses[3]!);
      expect(await collect(media.list())).toEqual(addresses.filter((_, i) => i !== 3).sort());
    });
  });
}
