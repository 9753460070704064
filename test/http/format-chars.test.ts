import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";

/* Format characters that turn text around or hide in it, refused at intake and removed at render. */

const FORMAT = /[\u202A-\u202E\u2066-\u2069\u200B\u200E\u200F\uFEFF]/;

describe("format characters in posts", () => {
  let instance: TestInstance;

  beforeAll(async () => {
    instance = await startTestInstance();
    await instance.services.boards.create({ uri: "b", title: "Random" });
  });

  afterAll(async () => {
    await instance?.stop();
  });

  it("are removed from a new post's name, subject, comment and file name", async () => {
    const res = await request(instance.app)
      .post("/b/post")
      .field("name", "Ad\u200Bmin\u202E")
      .field("sub", "\u2067Subject\u2069")
      .field("com", "look at \u202Egnp.exe this")
      .attach("file", await makeJpeg(), "cute\u202Egpj.exe.jpg");
    expect(res.status).toBe(303);
    const no = Number(/(\d+)$/.exec(res.headers.location ?? "")?.[1]);
    const post = await instance.services.store.posts.getPost("b", no);
    expect(post?.name).toBe("Admin");
    expect(post?.subject).toBe("Subject");
    expect(post?.comment).toBe("look at gnp.exe this");
    expect(post?.html).toBe("look at gnp.exe this");
    expect(post?.file?.filename).toBe("cutegpj.exe");
    const page = await request(instance.app).get(`/b/thread/${no}`);
    expect(page.status).toBe(200);
    expect(page.text).not.toMatch(FORMAT);
  });

  it("are removed from a federated post's name, subject, text and markup", async () => {
    const { post } = await instance.services.posting.createRemote({
      board: "b",
      threadNo: null,
      name: "alice\u202E@example.social",
      subject: "\u2066Title\u2069",
      comment: "hello \u202Eworld\u200B",
      apId: "https://example.social/notes/1",
      fediActor: "https://example.social/users/alice",
      images: [{ buffer: await makeJpeg(), originalName: "pic\u202Egpj.png" }],
    });
    expect(post.name).toBe("alice@example.social");
    expect(post.subject).toBe("Title");
    expect(post.comment).toBe("hello world");
    expect(post.html).toBe("hello world");
    expect(post.file?.filename).toBe("picgpj");
  });

  it("are not shown from posts stored before they were refused", async () => {
    const file = await makeJpeg();
    const created = await instance.services.posting.createThread({
      board: "b",
      ip: "192.0.2.1",
      comment: "placeholder",
      file: { buffer: file, originalName: "x.jpg" },
    });
    // Write the text as an older version would have stored it.
    const { post } = await instance.services.store.posts.createThread(
      "b",
      {
        ...created,
        name: "Mal\u202Elory",
        subject: "Sub\u2066ject",
        comment: "stored \u202Etext",
        html: "stored \u202Etext<br>\u200Bmore",
        file: created.file && { ...created.file, filename: "old\u202Egpj", tim: created.file.tim + 1 },
      },
      { maxThreads: 100 },
    );
    for (const path of [`/b/thread/${post.no}`, "/b/", "/b/catalog"]) {
      const page = await request(instance.app).get(path);
      expect(page.status).toBe(200);
      expect(page.text).toContain("stored text");
      expect(page.text).not.toMatch(FORMAT);
    }
  });
});
