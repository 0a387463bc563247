// How a scan report's rejections that did not end in "No valid host" for an instance are grouped, for both faces.
import type { ScanReport, UnattributedRejection } from '../logscan/types.js';

export interface UnattributedGroups {
  /** The log names the instance, but the rejection did not stop its scheduling (another host passed, or
   * another filter removed the last host). */
  notDecisive: UnattributedRejection[];
  /** No instance to tie the rejection to (no request id, or no line naming the request's instance). */
  untied: UnattributedRejection[];
}

export function unattributedGroups(report: ScanReport): UnattributedGroups {
  const notDecisive: UnattributedRejection[] = [];
  const untied: UnattributedRejection[] = [];
  for (const u of report.unattributed) (u.knownInstance ? notDecisive : untied).push(u);
  return { notDecisive, untied };
}

export const NOT_DECISIVE_TITLE =
  'rejection(s) that did not stop an instance being scheduled (another host passed, or another filter removed the last one)';
export const UNTIED_TITLE = 'rejection(s) not tied to an instance (no request id, or no line naming its instance)';
