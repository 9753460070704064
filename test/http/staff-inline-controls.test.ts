import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { signIn } from "../support/admin-session.js";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";

/*
 * The staff controls on a board's own pages: shown to its moderators only, in a page nobody caches,
 * each a plain form that does its work and comes back to the page.
 */

const PASSWORD = "correct horse battery";

/** The hidden and named fields of the control form of post `no` posting to `action`. */
function controlForm(page: string, no: number, action: string, nth = 0): Record<string, string> {
  const block = new RegExp(`<details class="staff-controls" data-no="${no}">([\\s\\S]*?)</details>`).exec(page)?.[1];
  if (!block) throw new Error(`no staff controls for No. ${no}`);
  const forms = [...block.matchAll(/<form method="post" action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)].filter(
    (m) => m[1] === action,
  );
  const form = forms[nth];
  if (!form) throw new Error(`no ${action} form for No. ${no}`);
  const fields: Record<string, string> = {};
  for (const m of (form[2] ?? "").matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[m[1] as string] = (m[2] as string).replace(/&amp;/g, "&").replace(/&#x2F;|&#47;/g, "/");
  }
  return fields;
}

describe("inline staff controls", () => {
  let instance: TestInstance;

  beforeEach(async () => {
    instance = await startTestInstance();
    await instance.services.boards.create({ uri: "b", title: "B", settings: { requireImageForThread: false } });
    await instance.services.boards.create({ uri: "g", title: "G", settings: { requireImageForThread: false } });
    await instance.services.staff.createUser("vol", PASSWORD, "board_volunteer", ["b"]);
  });

  afterEach(async () => {
    await instance.stop();
  });

  const thread = async (board = "b") => {
    const op = await instance.services.posting.createThread({ board, comment: "op text", ip: "203.0.113.7" });
    const reply = await instance.services.posting.createReply({
      board,
      threadNo: op.no,
      comment: "reply text",
      file: { buffer: await makeJpeg(), originalName: "pic.jpg" },
      ip: "203.0.113.8",
    });
    return { op, reply };
  };

  it("shows readers the cached page without staff markup, and moderators an uncached page with controls", async () => {
    const { op } = await thread();
    await thread("g");
    const path = `/b/thread/${op.no}`;
    const reader = await request(instance.app).get(path);
    expect(reader.status).toBe(200);
    expect(reader.headers["cache-control"]).toBe("no-cache");
    expect(reader.text).not.toContain("staff-controls");
    expect(reader.text).not.toContain("/admin/posts/delete");
    expect(reader.text).not.toContain('name="csrf"');

    const { agent } = await signIn(instance.app, "vol", PASSWORD);
    for (const page of [path, "/b/", "/b/catalog"]) {
      const staff = await agent.get(page);
      expect(staff.status).toBe(200);
      expect(staff.headers["cache-control"]).toBe("private, no-store");
      expect(staff.headers["etag"]).toBeUndefined();
      expect(staff.text).toContain(`<details class="staff-controls" data-no="${op.no}">`);
    }
    const staffThread = await agent.get(path);
    expect(staffThread.text).toContain('name="capcode"');
    expect(staffThread.text).toContain("Move to archive");

    // A board this volunteer does not moderate is the reader's page.
    const other = await agent.get("/g/");
    expect(other.headers["cache-control"]).toBe("no-cache");
    expect(other.text).not.toContain("staff-controls");

    // The reader's page is still the cached one, unchanged by the staff views in between.
    const again = await request(instance.app).get(path);
    expect(again.headers["etag"]).toBe(reader.headers["etag"]);
    expect(again.text).toBe(reader.text);
    const conditional = await request(instance.app).get(path).set("If-None-Match", String(reader.headers["etag"]));
    expect(conditional.status).toBe(304);
  });

  it("deletes a reply and a file from the thread page, coming back to it", async () => {
    const { op, reply } = await thread();
    const path = `/b/thread/${op.no}`;
    const { agent } = await signIn(instance.app, "vol", PASSWORD);
    const page = (await agent.get(path)).text;

    const fileOnly = controlForm(page, reply.no, "/admin/posts/delete", 1);
    expect(fileOnly["file_only"]).toBe("on");
    const f = await agent.post("/admin/posts/delete").type("form").send(fileOnly);
    expect(f.status).toBe(303);
    expect(f.headers["location"]).toBe(path);
    expect((await instance.services.store.posts.getPost("b", reply.no))?.fileDeleted).toBe(true);

    const del = await agent
      .post("/admin/posts/delete")
      .type("form")
      .send(controlForm(page, reply.no, "/admin/posts/delete"));
    expect(del.status).toBe(303);
    expect(del.headers["location"]).toBe(path);
    expect(await instance.services.store.posts.getPost("b", reply.no)).toBeNull();
    const after = await request(instance.app).get(path);
    expect(after.text).not.toContain(`id="p${reply.no}"`);

    // Without the session's form token nothing happens.
    const forged = await agent
      .post("/admin/posts/delete")
      .type("form")
      .send({ ...controlForm(page, op.no, "/admin/posts/delete"), csrf: "forged" });
    expect(forged.status).toBe(403);
    expect(await instance.services.store.posts.getPost("b", op.no)).not.toBeNull();

    // Deleting the OP comes back to the board, since the thread is gone.
    const opDel = await agent
      .post("/admin/posts/delete")
      .type("form")
      .send(controlForm(page, op.no, "/admin/posts/delete"));
    expect(opDel.headers["location"]).toBe("/b/");
    expect(await instance.services.store.posts.getThread("b", op.no)).toBeNull();
  });

  it("stickies, locks and archives a thread from its OP", async () => {
    const { op, reply } = await thread();
    const path = `/b/thread/${op.no}`;
    const { agent } = await signIn(instance.app, "vol", PASSWORD);
    const first = (await agent.get(path)).text;
    // Flags are offered on the OP only.
    expect(() => controlForm(first, reply.no, "/admin/threads/flags")).toThrow();

    const sticky = await agent
      .post("/admin/threads/flags")
      .type("form")
      .send(controlForm(first, op.no, "/admin/threads/flags", 0));
    expect(sticky.headers["location"]).toBe(path);
    expect((await instance.services.store.posts.getThread("b", op.no))?.sticky).toBe(true);

    const second = (await agent.get(path)).text;
    expect(second).toContain(">Unsticky<");
    await agent
      .post("/admin/threads/flags")
      .type("form")
      .send(controlForm(second, op.no, "/admin/threads/flags", 1));
    const locked = await instance.services.store.posts.getThread("b", op.no);
    expect(locked?.locked).toBe(true);
    expect(locked?.sticky).toBe(true);
    const reader = await request(instance.app).get(path);
    expect(reader.text).toContain("badge-locked");

    const third = (await agent.get(path)).text;
    await agent
      .post("/admin/threads/flags")
      .type("form")
      .send(controlForm(third, op.no, "/admin/threads/flags", 2));
    expect((await instance.services.store.posts.getThread("b", op.no))?.archived).toBe(true);
  });

  it("bans the poster of a post, who can then no longer post", async () => {
    const { op } = await thread();
    const poster = await instance.services.posting.createReply({
      board: "b",
      threadNo: op.no,
      comment: "rude",
      ip: "127.0.0.1",
    });
    const path = `/b/thread/${op.no}`;
    const { agent } = await signIn(instance.app, "vol", PASSWORD);
    const page = (await agent.get(path)).text;
    const form = controlForm(page, poster.no, "/admin/bans");
    expect(form["post"]).toBe(`b/${poster.no}`);
    const missingReason = await agent.post("/admin/bans").type("form").send(form);
    expect(missingReason.status).toBe(400);
    const ban = await agent
      .post("/admin/bans")
      .type("form")
      .send({ ...form, reason: "rudeness", duration: "86400", delete_post: "on" });
    expect(ban.status).toBe(303);
    expect(ban.headers["location"]).toBe(path);
    expect(await instance.services.store.posts.getPost("b", poster.no)).toBeNull();
    const refused = await request(instance.app).post(`/b/thread/${op.no}/reply`).field("com", "again");
    expect(refused.status).toBe(403);
    expect(refused.text).toContain("rudeness");
  });

  it("posts with a capcode for staff only; a forged capcode field is refused", async () => {
    const { op } = await thread();
    const vol = await instance.services.store.users.get("vol");
    if (!vol) throw new Error("no volunteer");
    await instance.services.staff.setPublicName(vol, "vol", "Janitor Jo");
    const forged = await request(instance.app)
      .post(`/b/thread/${op.no}/reply`)
      .field("com", "I am staff")
      .field("capcode", "admin");
    expect(forged.status).toBe(403);
    expect((await instance.services.store.posts.getThreadPosts("b", op.no)).map((p) => p.comment)).not.toContain(
      "I am staff",
    );

    const { agent } = await signIn(instance.app, "vol", PASSWORD);
    // A volunteer's role carries "## Mod", not "## Admin".
    const above = await agent.post(`/b/thread/${op.no}/reply`).field("com", "as admin").field("capcode", "admin");
    expect(above.status).toBe(403);
    const ok = await agent.post(`/b/thread/${op.no}/reply`).field("com", "as mod").field("capcode", "mod");
    expect(ok.status).toBe(303);
    const posts = await instance.services.store.posts.getThreadPosts("b", op.no);
    const mine = posts.find((p) => p.comment === "as mod");
    expect(mine?.capcode).toBe("mod");
    expect(mine?.name).toBe("Janitor Jo");

    const json = await request(instance.app).get(`/b/thread/${op.no}.json`);
    const jsonPost = (json.body as { posts: Array<{ no: number; capcode?: string; name?: string }> }).posts.find(
      (p) => p.no === mine?.no,
    );
    expect(jsonPost?.capcode).toBe("mod");
    const page = await request(instance.app).get(`/b/thread/${op.no}`);
    expect(page.text).toContain('<strong class="capcode">## Mod</strong>');
    expect(page.text).toContain("Janitor Jo");
  });
});
