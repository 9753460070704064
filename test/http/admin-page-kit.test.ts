import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { csrfOf, signIn as signInAs } from "../support/admin-session.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

const PASSWORD = "correct horse battery";
const REFUSED = "Your role does not allow this.";
const EXPIRED = "This form has expired or did not come from this site.";

/* The permission each admin route declares, checked by the page kit before the route's handler. */
describe("admin page kit", () => {
  let instance: TestInstance;

  beforeEach(async () => {
    instance = await startTestInstance();
    for (const uri of ["b", "g", "gone"]) await instance.services.boards.create({ uri, title: uri.toUpperCase() });
    await instance.services.staff.createUser("mod", PASSWORD, "global_mod", []);
    await instance.services.staff.createUser("owner", PASSWORD, "board_owner", ["b"]);
    await instance.services.staff.createUser("orphan", PASSWORD, "board_owner", ["gone"]);
  });

  afterEach(async () => {
    await instance.stop();
  });

  const signIn = async (username: string) => {
    const { agent } = await signInAs(instance.app, username, PASSWORD);
    const csrf = csrfOf((await agent.get("/admin")).text);
    return { agent, csrf };
  };

  it("sends anyone without a session to the sign-in form, on pages and forms alike", async () => {
    const api = request(instance.app);
    for (const res of [await api.get("/admin/users"), await api.post("/admin/boards").type("form").send({})]) {
      expect(res.status).toBe(303);
      expect(res.headers["location"]).toBe("/admin");
    }
  });

  it("refuses an admin-only route to a moderator with 403 in the admin frame, the form token checked first", async () => {
    const { agent, csrf } = await signIn("mod");
    const page = await agent.get("/admin/deliveries");
    expect(page.status).toBe(403);
    expect(page.text).toContain(REFUSED);
    expect(page.headers["cache-control"]).toBe("no-store");
    const action = await agent.post("/admin/deliveries/dropped/retry").type("form").send({ csrf, all: "1" });
    expect(action.status).toBe(403);
    expect(action.text).toContain(REFUSED);
    const forged = await agent.post("/admin/deliveries/dropped/retry").type("form").send({ all: "1" });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain(EXPIRED);
  });

  it("lets a board owner manage its own board only, by the route's :uri", async () => {
    const { agent, csrf } = await signIn("owner");
    const list = await agent.get("/admin/boards");
    expect(list.status).toBe(200);
    expect(list.text).toContain('href="/admin/boards/b"');
    expect(list.text).not.toContain('href="/admin/boards/g"');
    expect((await agent.get("/admin/boards/b")).status).toBe(200);
    const other = await agent.get("/admin/boards/g");
    expect(other.status).toBe(403);
    expect(other.text).toContain(REFUSED);
    const foreign = await agent.post("/admin/boards/g/settings").type("form").send({ csrf, title: "Mine now" });
    expect(foreign.status).toBe(403);
    expect((await instance.services.boards.get("g")).title).toBe("G");
  });

  it("counts only boards that still exist for the boards list", async () => {
    await instance.services.boards.delete("gone");
    const { agent } = await signIn("orphan");
    const list = await agent.get("/admin/boards");
    expect(list.status).toBe(403);
    expect(list.text).toContain(REFUSED);
  });
});
