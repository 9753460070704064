import { describe, expect, it } from "vitest";
import type { PeerDomain } from "../../server/domain/defederation/probation.js";
import { expectDomainError } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

/* Remote hosts seen and their probation: the first sighting is kept, the record replaced whole. */

const peer = (domain: string, over: Partial<PeerDomain> = {}): PeerDomain => ({
  domain,
  firstSeenAt: 1000,
  probationStart: 1000,
  probationEnd: null,
  endedBy: null,
  ...over,
});

export function describePeerDomainsContract({ store }: ContractContext): void {
  describe("peer domains", () => {
    it("keeps a host's first sighting: a later one changes nothing", async () => {
      const peers = store().defederation.peers;
      expect(await peers.get("new.example")).toBeNull();
      expect(await peers.firstSeen(peer("new.example"))).toEqual({ peer: peer("new.example"), created: true });
      const again = await peers.firstSeen(peer("new.example", { firstSeenAt: 5000, probationStart: 5000 }));
      expect(again).toEqual({ peer: peer("new.example"), created: false });
      expect(await peers.get("new.example")).toEqual(peer("new.example"));
    });

    it("replaces a record whole and lists the running probations, oldest start first", async () => {
      const peers = store().defederation.peers;
      await peers.firstSeen(peer("b.example", { probationStart: 3000 }));
      await peers.firstSeen(peer("a.example", { probationStart: 2000 }));
      await peers.firstSeen(peer("known.example", { probationStart: null }));
      await peers.put(peer("over.example", { probationEnd: 1500, endedBy: "expiry" }));
      expect((await peers.listRunning()).map((p) => p.domain)).toEqual(["a.example", "b.example"]);

      const vouched = peer("a.example", { probationStart: 2000, probationEnd: 2500, endedBy: "vouch" });
      await peers.put(vouched);
      expect(await peers.get("a.example")).toEqual(vouched);
      expect((await peers.listRunning()).map((p) => p.domain)).toEqual(["b.example"]);
    });

    it("refuses malformed records and domains with invalid", async () => {
      const peers = store().defederation.peers;
      await expectDomainError(peers.put(peer("x.example", { endedBy: "whim" as never })), "invalid");
      await expectDomainError(peers.firstSeen(peer("x.example", { firstSeenAt: "soon" as never })), "invalid");
      await expectDomainError(peers.get({ $ne: null } as never), "invalid");
      expect(await peers.get("x.example")).toBeNull();
    });
  });
}
