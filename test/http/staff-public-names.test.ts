import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csrfOf, signIn } from "../support/admin-session.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

/*
 * The public name staff choose for their actions: their Person and the public moderation log use it;
 * absent, the role's label stands in; the login name never shows unless someone typed it.
 */

const TOKEN = "p".repeat(32);
const auth = { Authorization: `Bearer ${TOKEN}` };
const PASSWORD = "correct horse battery";
const AP = "application/activity+json";

describe("staff public names", () => {
  let t: TestInstance;
  let op: number;

  beforeAll(async () => {
    t = await startTestInstance({ ADMIN_TOKEN: TOKEN });
    await t.services.boards.create({ uri: "b", title: "B", settings: { requireImageForThread: false } });
    await t.services.staff.createUser("kimowner", PASSWORD, "board_owner", ["b"]);
    await t.services.staff.createUser("volly", PASSWORD, "board_volunteer", ["b"]);
    await t.services.staff.createUser("boss", PASSWORD, "admin", []);
    op = (await request(t.app).post("/api/v1/boards/b/threads").send({ com: "a thread" })).body.no;
  });
  afterAll(async () => {
    await t?.stop();
  });

  /** The names of /b/'s moderators' Persons, as a peer reads them. */
  async function personNames(): Promise<string[]> {
    const page = JSON.parse((await request(t.app).get("/ap/boards/b/moderators?page=true").set("Accept", AP)).text);
    const names: string[] = [];
    for (const id of page.orderedItems as string[]) {
      const person = JSON.parse((await request(t.app).get(new URL(id).pathname).set("Accept", AP)).text);
      expect(person.type).toBe("Person");
      names.push(person.name);
    }
    return names.sort();
  }

  /** Signs `who` in and deletes a fresh reply as them, with a public reason; the log's `by` of it. */
  async function deleteAs(who: string): Promise<string> {
    const reply = (await request(t.app).post(`/api/v1/boards/b/threads/${op}/replies`).send({ com: "spam" })).body.no;
    const { agent } = await signIn(t.app, who, PASSWORD);
    const csrf = csrfOf((await agent.get("/admin")).text);
    const res = await agent
      .post("/admin/posts/delete")
      .type("form")
      .send({ csrf, board: "b", no: String(reply), reason: "spam", back: "/admin" });
    expect(res.status).toBe(303);
    const log = (await request(t.app).get("/b/log.json")).body.entries as Array<{ post: number; by: string }>;
    return log.find((e) => e.post === reply)?.by ?? "";
  }

  it("shows staff by role until they choose a name", async () => {
    expect(await personNames()).toEqual([
      "Administrator of /b/",
      "Administrator of /b/",
      "Board owner of /b/",
      "Board volunteer of /b/",
    ]);
    expect(await deleteAs("volly")).toBe("Board volunteer");
    const staff = await request(t.app).get("/api/v1/admin/staff").set(auth);
    expect(staff.body.find((u: { username: string }) => u.username === "volly")).toMatchObject({
      public_name: null,
      shown_as: "Board volunteer",
    });
  });

  it("lets an account choose its own name on its account page, used by its Person and the log", async () => {
    const { agent } = await signIn(t.app, "kimowner", PASSWORD);
    const page = await agent.get("/admin/account");
    expect(page.status).toBe(200);
    const csrf = csrfOf(page.text);
    const bad = await agent.post("/admin/account").type("form").send({ csrf, public_name: "<b>Kim</b>" });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("public_name");
    const long = await agent
      .post("/admin/account")
      .type("form")
      .send({ csrf, public_name: "K".repeat(41) });
    expect(long.status).toBe(400);
    const res = await agent.post("/admin/account").type("form").send({ csrf, public_name: "  Kim,   owner of /b/ " });
    expect(res.status).toBe(303);
    expect((await agent.get("/admin/account")).text).toContain('value="Kim, owner of /b/"');
    expect(await personNames()).toContain("Kim, owner of /b/");
    expect(await deleteAs("kimowner")).toBe("Kim, owner of /b/");
    const log = JSON.stringify((await request(t.app).get("/b/log.json")).body);
    expect(log).not.toContain("kimowner");
    expect(log).not.toContain("volly");
  });

  it("lets admins set anyone's name by the API and the staff page, and clear it; no one else", async () => {
    const api = request(t.app);
    const set = await api.patch("/api/v1/admin/staff/volly").set(auth).send({ public_name: "Janitor" });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ username: "volly", public_name: "Janitor", shown_as: "Janitor" });
    expect(await personNames()).toContain("Janitor");
    expect(await deleteAs("volly")).toBe("Janitor");

    const bad = await api.patch("/api/v1/admin/staff/volly").set(auth).send({ public_name: 42 });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain("public_name");
    expect((await api.patch("/api/v1/admin/staff/nobody").set(auth).send({ public_name: "X" })).status).toBe(404);
    expect((await api.patch("/api/v1/admin/staff/volly").set(auth).send({ name: "X" })).status).toBe(400);
    expect((await api.patch("/api/v1/admin/staff/volly").send({ public_name: "X" })).status).toBe(401);

    const { agent } = await signIn(t.app, "boss", PASSWORD);
    const users = await agent.get("/admin/users");
    expect(users.text).toContain('href="/admin/users/volly/public-name"');
    const form = await agent.get("/admin/users/volly/public-name");
    expect(form.text).toContain('value="Janitor"');
    const cleared = await agent
      .post("/admin/users/volly/public-name")
      .type("form")
      .send({ csrf: csrfOf(form.text), public_name: "" });
    expect(cleared.status).toBe(303);
    expect(await deleteAs("volly")).toBe("Board volunteer");

    const { agent: owner } = await signIn(t.app, "kimowner", PASSWORD);
    const ownerForm = await owner.get("/admin/users/volly/public-name");
    expect(ownerForm.status).toBe(403);
    const forged = await owner
      .post("/admin/users/volly/public-name")
      .type("form")
      .send({ csrf: csrfOf((await owner.get("/admin/account")).text), public_name: "Pwned" });
    expect(forged.status).toBe(403);
    expect((await t.services.store.users.get("volly"))?.publicName).toBeUndefined();
  });
});
