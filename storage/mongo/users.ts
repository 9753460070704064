import { DomainError } from "../../server/domain/errors.js";
import type { UserRepository } from "../../server/domain/ports.js";
import { ROLES, type StaffUser } from "../../server/domain/staff.js";
import { checkedTotp, checkedUserPatch, int, str, strList, type UserPatch } from "../common/guards.js";
import { type Collections, toUser, type UserDoc } from "./documents.js";
import { conflictOnDuplicate } from "./errors.js";

export class MongoUserRepository implements UserRepository {
  constructor(private readonly c: Collections) {}

  async create(user: StaffUser): Promise<void> {
    if (!ROLES.includes(user.role)) throw new DomainError("invalid", "Unknown role.");
    const doc: UserDoc = {
      username: str(user.username, "username"),
      passwordHash: str(user.passwordHash, "passwordHash"),
      role: user.role,
      boards: strList(user.boards ?? [], "boards"),
      createdAt: int(user.createdAt, "createdAt"),
      ...(user.publicName !== undefined ? { publicName: str(user.publicName, "publicName") } : {}),
      ...(user.totp !== undefined ? { totp: checkedTotp(user.totp) } : {}),
    };
    await conflictOnDuplicate(this.c.users.insertOne(doc), `The user "${doc.username}" already exists.`);
  }

  async get(username: string): Promise<StaffUser | null> {
    const doc = await this.c.users.findOne({ username: { $eq: str(username, "username") } });
    return doc ? toUser(doc) : null;
  }

  async list(): Promise<StaffUser[]> {
    const docs = await this.c.users.find({}).sort({ username: 1 }).toArray();
    return docs.map(toUser);
  }

  async update(username: string, patch: UserPatch): Promise<boolean> {
    const name = str(username, "username");
    const { publicName, totp, ...set } = checkedUserPatch(patch);
    const $set: Partial<UserDoc> = { ...set };
    const $unset: { publicName?: ""; totp?: "" } = {};
    if (typeof publicName === "string") $set.publicName = publicName;
    if (publicName === null) $unset.publicName = "";
    if (totp) $set.totp = totp;
    if (totp === null) $unset.totp = "";
    const update: { $set?: Partial<UserDoc>; $unset?: { publicName?: ""; totp?: "" } } = {};
    if (Object.keys($set).length > 0) update.$set = $set;
    if (Object.keys($unset).length > 0) update.$unset = $unset;
    if (Object.keys(update).length === 0) {
      return (await this.c.users.countDocuments({ username: { $eq: name } })) > 0;
    }
    return (await this.c.users.updateOne({ username: { $eq: name } }, update)).matchedCount > 0;
  }

  /** One conditional update: two requests cannot both spend the same step. */
  async useTotpStep(username: string, step: number): Promise<boolean> {
    const at = int(step, "step");
    const { modifiedCount } = await this.c.users.updateOne(
      {
        username: { $eq: str(username, "username") },
        "totp.enabledAt": { $type: "number" },
        "totp.lastStep": { $lt: at },
      },
      { $set: { "totp.lastStep": at } },
    );
    return modifiedCount > 0;
  }

  /** One conditional update: a recovery code is pulled by at most one request. */
  async useRecoveryCode(username: string, hash: string): Promise<boolean> {
    const h = str(hash, "hash");
    const { modifiedCount } = await this.c.users.updateOne(
      {
        username: { $eq: str(username, "username") },
        "totp.enabledAt": { $type: "number" },
        "totp.recoveryHashes": { $eq: h },
      },
      { $pull: { "totp.recoveryHashes": h } },
    );
    return modifiedCount > 0;
  }

  /** Also ends the account's sessions: a deleted account must not stay logged in anywhere. */
  async delete(username: string): Promise<boolean> {
    const name = str(username, "username");
    const { deletedCount } = await this.c.users.deleteOne({ username: { $eq: name } });
    await this.c.sessions.deleteMany({ username: { $eq: name } });
    return deletedCount > 0;
  }
}
