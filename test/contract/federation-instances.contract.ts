import { describe, expect, it } from "vitest";
import { MAX_SOFTWARE_FIELD_LENGTH } from "../../server/domain/federation-ports.js";
import { MAX_ERROR_LENGTH } from "../../storage/common/federation.js";
import { expectDomainError, range } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

/* What the federation store keeps per remote domain: its delivery health and the software it runs. */

export function describeFederationInstancesContract({ store }: ContractContext): void {
  describe("federation: peer health", () => {
    it("counts a run of failures from its first, and a success ends it", async () => {
      const domains = store().federation.peerHealth;
      expect(await domains.get("dead.example")).toBeNull();
      expect(await domains.recordFailure("dead.example", 1000)).toEqual({
        consecutiveFailures: 1,
        firstFailureAt: 1000,
      });
      expect(await domains.recordFailure("Dead.Example", 2000)).toEqual({
        consecutiveFailures: 2,
        firstFailureAt: 1000,
      });
      expect(await domains.get("DEAD.example")).toEqual({
        domain: "dead.example",
        consecutiveFailures: 2,
        firstFailureAt: 1000,
        lastFailureAt: 2000,
        lastSuccessAt: null,
        nextProbeAt: null,
      });
      await domains.recordSuccess("dead.example", 3000);
      expect(await domains.get("dead.example")).toEqual({
        domain: "dead.example",
        consecutiveFailures: 0,
        firstFailureAt: null,
        lastFailureAt: 2000,
        lastSuccessAt: 3000,
        nextProbeAt: null,
      });
      expect(await domains.recordFailure("dead.example", 4000)).toEqual({
        consecutiveFailures: 1,
        firstFailureAt: 4000,
      });
      await domains.recordSuccess("alive.example", 500);
      expect(await domains.list()).toEqual([
        {
          domain: "alive.example",
          consecutiveFailures: 0,
          firstFailureAt: null,
          lastFailureAt: null,
          lastSuccessAt: 500,
          nextProbeAt: null,
        },
        {
          domain: "dead.example",
          consecutiveFailures: 1,
          firstFailureAt: 4000,
          lastFailureAt: 4000,
          lastSuccessAt: 3000,
          nextProbeAt: null,
        },
      ]);
    });

    it("counts every one of 20 concurrent failures", async () => {
      const domains = store().federation.peerHealth;
      const runs = await Promise.all(range(1, 20).map((i) => domains.recordFailure("slow.example", 1000 + i)));
      expect(runs.map((r) => r.consecutiveFailures).sort((a, b) => a - b)).toEqual(range(1, 20));
      expect((await domains.get("slow.example"))?.consecutiveFailures).toBe(20);
      await expectDomainError(domains.recordFailure("x.example", 1.5), "invalid");
      await expectDomainError(domains.get({ $ne: null } as never), "invalid");
    });
  });

  describe("federation: instance software", () => {
    it("records what a domain runs, in lower case, and keeps it through a failed lookup", async () => {
      const instances = store().federation.instances;
      expect(await instances.get("lemmy.example")).toBeNull();
      expect(await instances.recordSoftware("Lemmy.Example", " Lemmy ", "0.19.3", 1000)).toEqual({
        domain: "lemmy.example",
        software: "lemmy",
        version: "0.19.3",
        fetchedAt: 1000,
        lastError: null,
      });
      // the peer's NodeInfo is down for a while: when and why are recorded, the software stays
      expect(await instances.recordFailure("lemmy.example", "answered 502", 2000)).toEqual({
        domain: "lemmy.example",
        software: "lemmy",
        version: "0.19.3",
        fetchedAt: 2000,
        lastError: "answered 502",
      });
      // a failure on a domain never learnt records no software
      expect(await instances.recordFailure("Quiet.Example", "answered 404", 3000)).toEqual({
        domain: "quiet.example",
        software: null,
        version: null,
        fetchedAt: 3000,
        lastError: "answered 404",
      });
      // a later success replaces everything and clears the error
      expect(await instances.recordSoftware("quiet.example", "mastodon", null, 4000)).toEqual({
        domain: "quiet.example",
        software: "mastodon",
        version: null,
        fetchedAt: 4000,
        lastError: null,
      });
      expect(await instances.get("QUIET.example")).toEqual(await instances.get("quiet.example"));
      expect((await instances.list()).map((i) => i.domain)).toEqual(["lemmy.example", "quiet.example"]);
      expect(await instances.delete("Lemmy.example")).toBe(true);
      expect(await instances.delete("lemmy.example")).toBe(false);
      expect(await instances.get("lemmy.example")).toBeNull();
    });

    it("reads many domains at once: those recorded, each once, in any case", async () => {
      const instances = store().federation.instances;
      for (const [i, d] of ["c.example", "a.example", "b.example"].entries()) {
        await instances.recordSoftware(d, `soft-${d[0]}`, null, 1000 + i);
      }
      const got = await instances.getMany(["B.example", "a.example", "nowhere.example", "b.example"]);
      expect(got.map((i) => [i.domain, i.software]).sort()).toEqual([
        ["a.example", "soft-a"],
        ["b.example", "soft-b"],
      ]);
      expect(await instances.getMany([])).toEqual([]);
      const many = range(1, 300).map((i) => `host${i}.example`);
      for (const d of many.slice(0, 5)) await instances.recordFailure(d, "timeout", 5000);
      expect(await instances.getMany(many)).toHaveLength(5);
    });

    it("cuts long names, versions and errors, and refuses malformed arguments", async () => {
      const instances = store().federation.instances;
      const long = await instances.recordSoftware("long.example", "x".repeat(500), "1".repeat(500), 1000);
      expect(long.software).toHaveLength(MAX_SOFTWARE_FIELD_LENGTH);
      expect(long.version).toHaveLength(MAX_SOFTWARE_FIELD_LENGTH);
      expect((await instances.recordFailure("long.example", "e".repeat(10_000), 2000)).lastError).toHaveLength(
        MAX_ERROR_LENGTH,
      );
      await expectDomainError(instances.get({ $ne: "" } as never), "invalid");
      await expectDomainError(instances.get(""), "invalid");
      await expectDomainError(instances.getMany("a.example" as never), "invalid");
      await expectDomainError(instances.getMany([{ $gt: "" }] as never), "invalid");
      await expectDomainError(instances.recordSoftware("x.example", "  ", null, 1000), "invalid");
      await expectDomainError(instances.recordSoftware("x.example", { $set: 1 } as never, null, 1000), "invalid");
      await expectDomainError(instances.recordSoftware("x.example", "lemmy", 3 as never, 1000), "invalid");
      await expectDomainError(instances.recordSoftware("x.example", "lemmy", null, 1.5), "invalid");
      await expectDomainError(instances.recordFailure("x.example", null as never, 1000), "invalid");
      await expectDomainError(instances.delete([] as never), "invalid");
      expect(await instances.get("x.example")).toBeNull();
    });

    it("keeps one record when 20 lookups of a new domain finish together", async () => {
      const instances = store().federation.instances;
      await Promise.all(
        range(1, 20).map((i) =>
          i % 2
            ? instances.recordFailure("busy.example", `e${i}`, 1000 + i)
            : instances.recordSoftware("busy.example", "mbin", null, 1000 + i),
        ),
      );
      const all = await instances.list();
      expect(all).toHaveLength(1);
      expect(all[0]?.domain).toBe("busy.example");
    });
  });
}
