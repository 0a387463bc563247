import type { InstanceStatus } from '../../doctor/types.js';

export const STATUS_COLORS: Record<InstanceStatus, string> = {
  stale: 'red',
  'half-fixed': 'yellow',
  unreadable: 'magenta',
  untraced: 'blue',
  skipped: 'gray',
  ok: 'green',
  repaired: 'green',
  deleted: 'gray',
};
