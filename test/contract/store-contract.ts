import { afterAll, afterEach, beforeEach, describe } from "vitest";
import type { Store } from "../../server/domain/ports.js";
import { describeAppealsContract } from "./appeals.contract.js";
import { describeBoardContract } from "./boards.contract.js";
import { describeChangeStampsContract } from "./change-stamps.contract.js";
import { describeDomainAuditContract } from "./defederation-audit.contract.js";
import { describeDefederationDataContract } from "./defederation-data.contract.js";
import { describeDomainEnforcementStateContract } from "./defederation-enforcement-state.contract.js";
import { describeDomainReopenContract } from "./defederation-reopen.contract.js";
import { describeDomainRulesContract } from "./defederation-rules.contract.js";
import { describeDomainSubscriptionsContract } from "./defederation-subscriptions.contract.js";
import { describeExtraFilesContract } from "./extra-files.contract.js";
import { describeFederationActorsContract } from "./federation-actors.contract.js";
import { describeDeliveryContract } from "./federation-deliveries.contract.js";
import { describeDeliveryRecoveryContract } from "./federation-delivery-recovery.contract.js";
import { describeFederationFollowsContract } from "./federation-follows.contract.js";
import { describeFederationGroupBansContract } from "./federation-group-bans.contract.js";
import { describeFederationInboxContract } from "./federation-inbox.contract.js";
import { describeFederationInstancesContract } from "./federation-instances.contract.js";
import { describeFederationReopenContract } from "./federation-reopen.contract.js";
import { describeInboundRetriesContract } from "./inbound-retries.contract.js";
import { describeLimitsContract } from "./limits.contract.js";
import { describeListingContract } from "./listing.contract.js";
import { describeMediaBanListsContract } from "./media-ban-lists.contract.js";
import { describeMediaBansContract } from "./media-bans.contract.js";
import { describeMediaRefsContract } from "./media-refs.contract.js";
import { describeModerationLogContract } from "./moderation-log.contract.js";
import { describePeerDomainsContract } from "./peer-domains.contract.js";
import { describePingContract } from "./ping.contract.js";
import { describePostTextContract } from "./post-text.contract.js";
import { describePosterTokenContract } from "./poster-tokens.contract.js";
import { describePostingChecksContract } from "./posting-checks.contract.js";
import { describePostContract } from "./posts.contract.js";
import { describeRemoteBanContract } from "./remote-bans.contract.js";
import { describeReopenContract } from "./reopen.contract.js";
import { describeSearchContract } from "./search.contract.js";
import { describeSeverancesContract } from "./severances.contract.js";
import { describeStaffContract } from "./staff.contract.js";
import { describeWordFilterContract } from "./word-filters.contract.js";

export interface ContractContext {
  /** The store of the running test: fresh and empty at its start. */
  store(): Store;
  /** Closes the store and opens the same data again, or null when the harness cannot. */
  reopen: (() => Promise<Store>) | null;
}

export interface ContractOptions {
  /** Opens the data of a store that was just closed (for the survival tests). */
  reopen?: (closed: Store) => Promise<Store>;
}

/**
 * The behaviour every Store adapter must show. `open` must return a new, empty store each call;
 * `cleanup` runs once after the suite (drop databases, remove temp dirs).
 */
export function describeStoreContract(
  name: string,
  open: () => Promise<Store>,
  cleanup?: () => Promise<void>,
  options: ContractOptions = {},
): void {
  describe(name, () => {
    let current: Store | null = null;

    beforeEach(async () => {
      current = await open();
    });
    afterEach(async () => {
      await current?.close();
      current = null;
    });
    if (cleanup) afterAll(cleanup);

    const store = () => {
      if (!current) throw new Error("no store is open");
      return current;
    };
    const reopenWith = options.reopen;
    const ctx: ContractContext = {
      store,
      reopen: reopenWith
        ? async () => {
            const closed = store();
            await closed.close();
            current = null;
            current = await reopenWith(closed);
            return current;
          }
        : null,
    };

    describeBoardContract(ctx);
    describePostContract(ctx);
    describePostTextContract(ctx);
    describeChangeStampsContract(ctx);
    describeListingContract(ctx);
    describeSearchContract(ctx);
    describeMediaRefsContract(ctx);
    describeExtraFilesContract(ctx);
    describeStaffContract(ctx);
    describeAppealsContract(ctx);
    describeRemoteBanContract(ctx);
    describeReopenContract(ctx);
    describeFederationActorsContract(ctx);
    describeFederationFollowsContract(ctx);
    describeFederationInboxContract(ctx);
    describeFederationInstancesContract(ctx);
    describeFederationGroupBansContract(ctx);
    describeFederationReopenContract(ctx);
    describeDeliveryContract(ctx);
    describeInboundRetriesContract(ctx);
    describeDeliveryRecoveryContract(ctx);
    describeDomainRulesContract(ctx);
    describeDomainAuditContract(ctx);
    describeDomainSubscriptionsContract(ctx);
    describeDomainEnforcementStateContract(ctx);
    describeDomainReopenContract(ctx);
    describeDefederationDataContract(ctx);
    describeLimitsContract(ctx);
    describePingContract(ctx);
    describePostingChecksContract(ctx);
    describeModerationLogContract(ctx);
    describeSeverancesContract(ctx);
    describePosterTokenContract(ctx);
    describeMediaBansContract(ctx);
    describeMediaBanListsContract(ctx);
    describePeerDomainsContract(ctx);
    describeWordFilterContract(ctx);
  });
}
