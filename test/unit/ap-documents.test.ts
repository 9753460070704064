import { describe, expect, it } from "vitest";
import {
  deletionActivities,
  outboxActivity,
  postActivities,
  remoteActivities,
  updateActivities,
  upstreamCreate,
} from "../../federation/delivery/activities.js";
import { anonymousPerson, boardActor, instanceActor } from "../../federation/documents/actors.js";
import { createActivity } from "../../federation/documents/create.js";
import { followActivity, followAnswer, undoFollowActivity } from "../../federation/documents/follow.js";
import {
  featuredActivity,
  lockActivity,
  removalActivity,
  staffPerson,
  unboostActivity,
  unlockActivity,
} from "../../federation/documents/moderation.js";
import { deletedNote, postObject } from "../../federation/documents/note.js";
import { rejectCreate } from "../../federation/documents/reject.js";
import { FederationIds } from "../../federation/ids.js";
import { Urls } from "../../server/services/urls.js";
import { board, post } from "../support/ap-fixtures.js";

/*
 * Every document Atoll sends, pinned byte for byte (key order included, as JSON.stringify writes
 * it): a change to what peers receive shows up here. Time and ids are fixed.
 */

const ids = new FederationIds("https://atoll.example");
const urls = new Urls("https://atoll.example", "https://media.atoll.example");
const s = { urls };
const NOW = Date.UTC(2026, 1, 3, 4, 5, 6);
const PEM = "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n";

const op = post();
const reply = post({ no: 5, subject: null, file: null, sage: true, trip: "!abc", posterId: "ID12345x" });
const remoteThread = post({ no: 7, threadNo: 7, apId: "https://remote.example/notes/7" });
const mirroredReply = post({ no: 8, threadNo: 7, subject: null, file: null, capcode: "mod" });
const remoteCreate = {
  "@context": "https://www.w3.org/ns/activitystreams",
  id: "https://remote.example/activities/1",
  type: "Create",
  actor: "https://remote.example/users/r",
  object: { id: "https://remote.example/notes/1", type: "Note", content: "<p>hi</p>" },
};

/** The document as it goes on the wire, indented so a difference reads as a line. */
const wire = (doc: unknown): string => JSON.stringify(doc, null, 2);

describe("what Atoll sends, exactly", () => {
  it("Group: a board", () => {
    expect(wire(boardActor(board, PEM, ids, urls))).toMatchSnapshot();
  });

  it("Group: a board where only staff start threads", () => {
    const restricted = { ...board, settings: { ...board.settings, postingRestrictedToMods: true } };
    expect(wire(boardActor(restricted, PEM, ids, urls))).toMatchSnapshot();
  });

  it("Application: the instance", () => {
    expect(wire(instanceActor(PEM, ids))).toMatchSnapshot();
  });

  it("Person: the author of local posts", () => {
    expect(wire(anonymousPerson(PEM, ids))).toMatchSnapshot();
  });

  it("Note: a thread, a reply, a post from elsewhere", () => {
    const ctx = { urls, ids, anonymousActor: ids.anonymousActor() };
    expect(wire(postObject(board, op, ctx))).toMatchSnapshot("thread");
    expect(wire(postObject(board, reply, ctx, op))).toMatchSnapshot("reply");
    expect(wire(postObject(board, mirroredReply, ctx, remoteThread))).toMatchSnapshot("reply in a mirrored thread");
  });

  it("Note: a delivered local post carries its poster token; a fetched one and a mirrored one never do", () => {
    const ctx = { urls, ids, anonymousActor: ids.anonymousActor(), withPosterToken: true };
    const token = "Zx3_kQ9-aB7cD1eF2gH4iJ";
    const local = post({ no: 9, subject: null, file: null, posterToken: token });
    expect(wire(postObject(board, local, ctx, op))).toMatchSnapshot("local reply with a token");
    const fetched = postObject(board, local, { ...ctx, withPosterToken: false }, op);
    expect(JSON.stringify(fetched)).not.toContain(token);
    expect(JSON.stringify(createActivity(board, local, urls, ids, op))).toContain(`"posterToken":"${token}"`);
    const mirrored = post({
      no: 10,
      threadNo: 7,
      subject: null,
      file: null,
      posterToken: token,
      apId: "https://remote.example/notes/10",
    });
    expect(JSON.stringify(postObject(board, mirrored, ctx, remoteThread))).not.toContain(token);
  });

  it("Reject: a federated post the board's rules refuse", () => {
    const create = { id: remoteCreate.id, actor: remoteCreate.actor, object: remoteCreate.object.id };
    const reason = "A new thread on this board needs an image.";
    expect(wire(rejectCreate(ids.board("b"), create, reason))).toMatchSnapshot();
  });

  it("Tombstone: what a deleted post's id answers", () => {
    expect(wire(deletedNote("https://atoll.example/b/thread/3"))).toMatchSnapshot();
  });

  it("Create: a local post, and a reply sent up to the group of a mirrored thread", () => {
    expect(wire(createActivity(board, reply, urls, ids, op))).toMatchSnapshot("embedded");
    expect(wire(upstreamCreate(board, mirroredReply, s, ids, remoteThread))).toMatchSnapshot("upstream");
  });

  it("Announce: a new thread (wrapped and boosted), a reply, a remote activity, outbox entries", () => {
    expect(wire(postActivities(board, op, s, ids))).toMatchSnapshot("thread");
    expect(wire(postActivities(board, reply, s, ids, op))).toMatchSnapshot("reply");
    expect(wire(remoteActivities("b", remoteCreate, remoteCreate.id, ids, NOW))).toMatchSnapshot("remote");
    expect(wire(outboxActivity(board, reply, s, ids, op))).toMatchSnapshot("outbox, local");
    expect(wire(outboxActivity(board, remoteThread, s, ids, null))).toMatchSnapshot("outbox, remote");
  });

  it("Update: a post whose file was removed, by its author and announced", () => {
    const changed = { ...op, file: null, fileDeleted: true };
    expect(wire(updateActivities(board, changed, s, ids, null, NOW))).toMatchSnapshot();
  });

  it("Delete: a post, by its author and announced", () => {
    expect(wire(deletionActivities(reply, s, ids, NOW))).toMatchSnapshot();
  });

  it("Accept and Reject: the board's answers to a Follow", () => {
    const follow = { id: "https://remote.example/activities/follow/1", actorId: "https://remote.example/users/r" };
    expect(wire(followAnswer("Accept", "Accept-id", ids.board("b"), follow))).toMatchSnapshot("accept");
    expect(wire(followAnswer("Reject", "Reject-id", ids.board("b"), follow))).toMatchSnapshot("reject");
  });

  it("Follow and Undo: a board following a remote group, and no longer", () => {
    const follow = {
      id: "https://atoll.example/ap/boards/b/activities/follow/1",
      objectId: "https://remote.example/c/cats",
    };
    expect(wire(followActivity(follow.id, ids.board("b"), follow.objectId))).toMatchSnapshot("follow");
    expect(wire(undoFollowActivity(ids.board("b"), follow))).toMatchSnapshot("undo");
  });

  it("moderation: a staff Person, a removal, Lock and Undo(Lock), Add and Remove to featured, a withdrawn boost", () => {
    const staff = { id: ids.staffActor("b", "k".repeat(22)), key: "k".repeat(22), name: "Board owner of /b/" };
    const act = { actor: staff.id, reason: "Rule 3: no spam" };
    const at = new Date(NOW).toISOString();
    const thread = "https://atoll.example/b/thread/3";
    expect(wire(staffPerson(ids, "b", staff, PEM))).toMatchSnapshot("Person");
    const removal = removalActivity(ids, "b", `${ids.board("b")}/activities/remove/x`, act, thread, at);
    expect(wire(removal)).toMatchSnapshot("Delete");
    expect(
      wire(removalActivity(ids, "b", "https://atoll.example/r", { ...act, reason: "" }, thread, at)),
    ).toMatchSnapshot("Delete without a reason");
    expect(wire(lockActivity(ids, "b", `${staff.id}/activities/lock/1`, act, thread, at))).toMatchSnapshot("Lock");
    expect(wire(unlockActivity(ids, "b", `${staff.id}/activities/undo/1`, act, thread, at))).toMatchSnapshot(
      "Undo(Lock)",
    );
    expect(wire(featuredActivity(ids, "b", `${staff.id}/activities/add/1`, "Add", act, thread, at))).toMatchSnapshot(
      "Add",
    );
    expect(
      wire(featuredActivity(ids, "b", `${staff.id}/activities/remove/1`, "Remove", act, thread, at)),
    ).toMatchSnapshot("Remove");
    expect(wire(unboostActivity(ids, "b", `${thread}#boost/undo`, `${thread}#boost`, thread, at))).toMatchSnapshot(
      "Undo(Announce)",
    );
  });
});
