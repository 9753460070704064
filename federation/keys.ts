import { createPrivateKey, generateKeyPair, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import type { ActorKey, ActorKeyRepository } from "../server/domain/federation-ports.js";

const generate = promisify(generateKeyPair);

/**
 * Keys of local actors (boards, the instance actor, the anonymous author), made on first use and kept
 * in the store, so a restart keeps every board's identity. RSA 2048, as Mastodon uses.
 */
export class LocalKeys {
  private readonly cache = new Map<string, Promise<ActorKey>>();
  private readonly parsed = new Map<string, Promise<KeyObject>>();

  constructor(private readonly repo: ActorKeyRepository) {}

  keyOf(actorId: string): Promise<ActorKey> {
    let key = this.cache.get(actorId);
    if (!key) {
      key = this.repo.getOrCreate(actorId, async () => {
        const { publicKey, privateKey } = await generate("rsa", {
          modulusLength: 2048,
          publicKeyEncoding: { type: "spki", format: "pem" },
          privateKeyEncoding: { type: "pkcs8", format: "pem" },
        });
        return { publicKeyPem: publicKey, privateKeyPem: privateKey };
      });
      key.catch(() => this.cache.delete(actorId));
      this.cache.set(actorId, key);
    }
    return key;
  }

  /** The actor's private key, parsed once: every delivery it signs would otherwise parse the PEM again. */
  privateKeyOf(actorId: string): Promise<KeyObject> {
    let key = this.parsed.get(actorId);
    if (!key) {
      key = this.keyOf(actorId).then((k) => createPrivateKey(k.privateKeyPem));
      key.catch(() => this.parsed.delete(actorId));
      this.parsed.set(actorId, key);
    }
    return key;
  }

  /** Forgets a deleted actor's key (a deleted board must not come back with the old identity cached). */
  forget(actorId: string): void {
    this.cache.delete(actorId);
    this.parsed.delete(actorId);
  }
}
