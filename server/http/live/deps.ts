import type { Services } from "../../services/container.js";

/** What the live threads read: the board reader (the thread JSON's view), the event bus, addresses. */
export type LiveDeps = Pick<Services, "reader" | "events" | "urls" | "logger">;
