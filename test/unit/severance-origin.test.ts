import { describe, expect, it } from "vitest";
import type { AuditEntry } from "../../server/domain/defederation-ports.js";
import { CSV_IMPORT_REASON, severanceOrigin } from "../../server/domain/severance.js";

const entry = (kind: AuditEntry["actor"]["kind"], reason = ""): AuditEntry => ({
  id: "e",
  at: 1,
  actor: { kind, id: "" },
  action: "block.create",
  domain: "bad.example",
  before: null,
  after: null,
  reason,
  subscriptionId: null,
});

describe("where a severing rule came from", () => {
  it("names subscribed lists, consensus, imports, the CLI, admins and the system", () => {
    expect(severanceOrigin("subscription", entry("user"), false)).toBe("subscription");
    expect(severanceOrigin("subscription", null, true)).toBe("consensus");
    expect(severanceOrigin("manual", entry("user", CSV_IMPORT_REASON), false)).toBe("import");
    expect(severanceOrigin("manual", entry("cli"), false)).toBe("cli");
    expect(severanceOrigin("manual", entry("token"), false)).toBe("admin");
    expect(severanceOrigin("manual", entry("user"), false)).toBe("admin");
    expect(severanceOrigin("manual", entry("system"), false)).toBe("system");
    expect(severanceOrigin("manual", null, false)).toBe("system");
  });
});
