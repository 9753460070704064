import { DomainError } from "../../server/domain/errors.js";
import { isReportCategory, type ReceivedFlag, type ReportCategory } from "../../server/domain/staff.js";
import { str, strList } from "./guards.js";

/** A report's category, checked: absent stays absent, anything outside the set is refused. */
export function checkedCategory(category: unknown): ReportCategory | undefined {
  if (category === undefined) return undefined;
  if (!isReportCategory(category)) throw new DomainError("invalid", "category: not a report category.");
  return category;
}

/** A report's Flag with only its known fields, each checked (what both adapters store). */
export function checkedFlag(flag: ReceivedFlag): ReceivedFlag {
  return {
    id: str(flag.id, "flag.id"),
    actor: str(flag.actor, "flag.actor"),
    to: strList(flag.to, "flag.to"),
    object: str(flag.object, "flag.object"),
    summary: str(flag.summary, "flag.summary"),
  };
}

/** The stored Flag read back (written by checkedFlag, so a parse failure means a damaged row). */
export function parseFlag(json: string): ReceivedFlag {
  return checkedFlag(JSON.parse(json) as ReceivedFlag);
}
