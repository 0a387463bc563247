import type { InstanceView } from '../../doctor/types.js';
import type { Line } from '../lines.js';
import type { PaneId } from '../screen.js';
import type { PaneContext } from './context.js';
import { evidenceLines } from './evidence.js';
import { hostsLines } from './hosts.js';
import { planLines } from './plan.js';
import { staleLines } from './stale.js';

export type { PaneContext } from './context.js';

const BUILDERS: Record<PaneId, (view: InstanceView, ctx: PaneContext) => Line[]> = {
  evidence: evidenceLines,
  stale: staleLines,
  hosts: hostsLines,
  plan: planLines,
};

export function paneLines(pane: PaneId, view: InstanceView, ctx: PaneContext): Line[] {
  return BUILDERS[pane](view, ctx);
}
