import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../server/config.js";

describe("configuration", () => {
  it("has the contract's defaults", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8080,
      host: "0.0.0.0",
      publicUrl: "http://localhost:8080",
      publicHost: "localhost:8080",
      instanceName: "localhost:8080",
      instanceDescription: "",
      mediaUrl: "http://localhost:8080/media",
      mongodbUrl: null,
      adminToken: null,
      captcha: true,
      rateLimit: true,
      federation: true,
      federationMode: "blocklist",
      authorizedFetch: false,
      allowPrivateAddresses: false,
      logLevel: "info",
      trustProxy: false,
      role: "all",
      purgeGraceMs: 7 * 86_400_000,
      blocklistSyncMs: 6 * 3_600_000,
      deliveryMaxAgeMs: 7 * 86_400_000,
      posterTokenRotationDays: 7,
    });
    expect(loadConfig({ DELIVERY_RETRY_DAYS: "1.5" }).deliveryMaxAgeMs).toBe(36 * 3_600_000);
    expect(() => loadConfig({ DELIVERY_RETRY_DAYS: "0" })).toThrow(/DELIVERY_RETRY_DAYS/);
    expect(loadConfig({ PURGE_GRACE_DAYS: "0", BLOCKLIST_SYNC_HOURS: "0.5" })).toMatchObject({
      purgeGraceMs: 0,
      blocklistSyncMs: 1_800_000,
    });
    expect(() => loadConfig({ PURGE_GRACE_DAYS: "-1" })).toThrow(/PURGE_GRACE_DAYS/);
    expect(c.dataDir).toMatch(/\/data$/);
  });

  it("derives PUBLIC_URL from PORT and MEDIA_URL from PUBLIC_URL, without trailing slashes", () => {
    expect(loadConfig({ PORT: "3000" }).publicUrl).toBe("http://localhost:3000");
    const c = loadConfig({ PUBLIC_URL: "https://board.example/" });
    expect(c.publicUrl).toBe("https://board.example");
    expect(c.publicHost).toBe("board.example");
    expect(c.mediaUrl).toBe("https://board.example/media");
    expect(loadConfig({ MEDIA_URL: "https://cdn.example/m/" }).mediaUrl).toBe("https://cdn.example/m");
  });

  it("names the instance: the host by default, else one line of text within limits", () => {
    expect(loadConfig({ PUBLIC_URL: "https://board.example" }).instanceName).toBe("board.example");
    const named = loadConfig({ INSTANCE_NAME: "  Lagoon Chan ", INSTANCE_DESCRIPTION: "Boards about boats." });
    expect([named.instanceName, named.instanceDescription]).toEqual(["Lagoon Chan", "Boards about boats."]);
    expect(() => loadConfig({ INSTANCE_NAME: "   " })).toThrow(/INSTANCE_NAME/);
    expect(() => loadConfig({ INSTANCE_NAME: "x".repeat(101) })).toThrow(/INSTANCE_NAME/);
    expect(() => loadConfig({ INSTANCE_NAME: "two\nlines" })).toThrow(/INSTANCE_NAME/);
    expect(() => loadConfig({ INSTANCE_DESCRIPTION: "y".repeat(501) })).toThrow(/INSTANCE_DESCRIPTION/);
  });

  it("reads switches as on/off", () => {
    const c = loadConfig({
      CAPTCHA: "off",
      RATE_LIMIT: "off",
      FEDERATION: "off",
      AUTHORIZED_FETCH: "on",
      ALLOW_PRIVATE_ADDRESSES: "on",
      FEDERATION_MODE: "allowlist",
    });
    expect([
      c.captcha,
      c.rateLimit,
      c.federation,
      c.authorizedFetch,
      c.allowPrivateAddresses,
      c.federationMode,
    ]).toEqual([false, false, false, true, true, "allowlist"]);
  });

  it("names every malformed variable in one error", () => {
    const attempt = () =>
      loadConfig({
        PORT: "http",
        CAPTCHA: "maybe",
        PUBLIC_URL: "ftp://x",
        MONGODB_URL: "postgres://db",
        LOG_LEVEL: "loud",
      });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (e) {
      const msg = (e as Error).message;
      for (const name of ["PORT", "CAPTCHA", "PUBLIC_URL", "MONGODB_URL", "LOG_LEVEL"]) expect(msg).toContain(name);
    }
  });

  it("reads the process role for a web/worker split", () => {
    expect(loadConfig({ ATOLL_ROLE: "web" }).role).toBe("web");
    expect(() => loadConfig({ ATOLL_ROLE: "both" })).toThrow(/ATOLL_ROLE/);
  });

  it("reads the request limits per minute, with generous defaults", () => {
    expect(loadConfig({}).requestLimits).toEqual({
      reads: 1200,
      writes: 60,
      admin: 6000,
      inbox: 300,
      inboxActor: 30,
      inboxFailures: 60,
    });
    const c = loadConfig({
      RATE_LIMIT_READS: "300",
      RATE_LIMIT_WRITES: "10",
      RATE_LIMIT_ADMIN: "50",
      RATE_LIMIT_INBOX: "900",
      RATE_LIMIT_INBOX_ACTOR: "90",
      RATE_LIMIT_INBOX_FAILURES: "20",
    });
    expect(c.requestLimits).toEqual({
      reads: 300,
      writes: 10,
      admin: 50,
      inbox: 900,
      inboxActor: 90,
      inboxFailures: 20,
    });
    for (const bad of ["0", "-5", "1.5", "lots"])
      expect(() => loadConfig({ RATE_LIMIT_WRITES: bad })).toThrow(/RATE_LIMIT_WRITES/);
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig({ PORT: "", MONGODB_URL: "" })).toMatchObject({ port: 8080, mongodbUrl: null });
  });
});
