import type { CommandGroup } from "../command.js";
import { boardCommands } from "./board.js";
import { domainCommands } from "./defederation-domain.js";
import { subscriptionCommands } from "./defederation-subscription.js";
import { deliveryCommands } from "./delivery.js";
import { mediaCommands } from "./media.js";
import { tokenCommands } from "./token.js";
import { userCommands } from "./user.js";

/** Every command group of `atoll`; a new group is one module added here. */
export const COMMANDS: readonly CommandGroup[] = [
  boardCommands,
  userCommands,
  tokenCommands,
  domainCommands,
  subscriptionCommands,
  deliveryCommands,
  mediaCommands,
];
