import request from "supertest";
import type { Instance } from "../../server/app.js";

/** The CSRF token an admin page's forms carry. */
export function csrfOf(page: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(page);
  if (!m) throw new Error("no CSRF token on the page");
  return m[1] as string;
}

/**
 * Signs in to the admin pages as a browser would (the login form's token, then the form post) and
 * returns the agent holding the session cookie, with the login's answer.
 */
export async function signIn(app: Instance["app"], username: string, password: string) {
  const agent = request.agent(app);
  const form = await agent.get("/admin");
  const res = await agent
    .post("/admin/login")
    .type("form")
    .send({ csrf: csrfOf(form.text), username, password });
  return { agent, res };
}
