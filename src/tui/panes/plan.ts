// The repair plan as the operator reviews it: the JSON Patch, the row changes, the spec diff.
import type { Operation } from 'fast-json-patch';
import type { AppliedOutcome, InstanceView } from '../../doctor/types.js';
import type { ApplyResult, RepairPlan, RowChange } from '../../repair/types.js';
import { databaseLabel } from '../confirm.js';
import { plural } from '../format.js';
import { blank, type Color, type Line, line, type Segment, seg } from '../lines.js';
import { specDiffHunks } from '../specdiff.js';
import { NEEDS_DB, type PaneContext, READING } from './context.js';

const OP_COLORS: Record<Operation['op'], Color> = {
  test: 'gray',
  replace: 'yellow',
  remove: 'red',
  add: 'green',
  move: 'yellow',
  copy: 'yellow',
  _get: 'gray',
};

function opLine(op: Operation): Line {
  const parts: Line = [seg(op.op.padEnd(8), { color: OP_COLORS[op.op], bold: op.op !== 'test' }), seg(op.path)];
  if ('value' in op)
    parts.push(seg('  '), seg(JSON.stringify(op.value), { color: op.op === 'test' ? 'gray' : 'green' }));
  if ('from' in op) parts.push(seg('  from '), seg(op.from));
  return parts;
}

function quoted(value: string | null): string {
  return value === null ? 'NULL' : `'${value}'`;
}

function rowChangeLine(change: RowChange, view: InstanceView): Line {
  const target = change.key !== undefined ? `key ${change.key}` : `column ${change.column}`;
  const head = `${databaseLabel(change.database, view)} · ${change.table} · row ${change.rowId} · ${target}: `;
  if (change.table === 'request_specs') return line(head, seg('spec text edited, see the diff below', { dim: true }));
  const after =
    change.action === 'delete'
      ? seg('delete the row', { color: 'green' })
      : seg(quoted(change.newValue), { color: 'green' });
  return line(head, seg(quoted(change.oldValue), { color: 'red' }), ' → ', after);
}

const RESULT_COLORS: Record<ApplyResult['status'], Color> = {
  repaired: 'green',
  'dry-run': 'cyan',
  skipped: 'yellow',
  conflict: 'red',
  failed: 'red',
  'nothing-to-do': 'gray',
};

export function resultLine(result: AppliedOutcome): Line {
  return line(
    seg(result.status, { color: RESULT_COLORS[result.status], bold: true }),
    result.verified ? seg('  verified after commit', { color: 'green' }) : '',
    result.reason ? `  ${result.reason}` : '',
  );
}

/** The rows that no longer held the planned old value, with what they hold now. */
export function conflictLines(conflicts: readonly { change: RowChange; currentValue: string | null }[]): Line[] {
  return conflicts.map((c) => {
    const target = c.change.key !== undefined ? `key ${c.change.key}` : `column ${c.change.column}`;
    return line(
      seg('    changed since: ', { color: 'red' }),
      `${c.change.table} row ${c.change.rowId} ${target} is now `,
      seg(c.currentValue === null ? 'NULL' : `'${c.currentValue}'`, { color: 'yellow' }),
      c.change.table === 'request_specs' ? '' : `, expected ${quoted(c.change.oldValue)}`,
    );
  });
}

function removedOr(value: string | null): Segment {
  return value === null ? seg('removed', { color: 'green' }) : seg(`'${value}'`, { color: 'green' });
}

/** What the plan repairs towards, and ImagePropertiesFilter's answer on each target host. */
function targetLines(plan: RepairPlan): Line[] {
  const out: Line[] = [];
  if (plan.target) {
    const { hvType, vmMode, hosts } = plan.target;
    out.push(
      line(
        'Towards img_hv_type ',
        removedOr(hvType),
        ', hw_vm_mode ',
        removedOr(vmMode),
        hosts.length > 0 ? `, for ${hosts.join(', ')}` : '',
      ),
    );
  }
  if (plan.verification && plan.verification.length > 0) {
    const passing = plan.verification.filter((c) => c.passes).length;
    out.push(
      line(
        `ImagePropertiesFilter with the repaired properties: passes on ${passing} of ${plural(plan.verification.length, 'host')}`,
      ),
    );
    for (const check of plan.verification) {
      out.push(
        line(
          '  ',
          check.passes ? seg('✓ ', { color: 'green' }) : seg('✗ ', { color: 'red' }),
          seg(check.host, { bold: true }),
          check.node !== check.host ? ` (node ${check.node})` : '',
          check.why ? `  ${check.why}` : '',
        ),
      );
    }
  }
  return out;
}

export function planLines(view: InstanceView, ctx: PaneContext): Line[] {
  if (!ctx.hasDb) return [line(seg(NEEDS_DB, { color: 'yellow' }))];
  const plan = view.plan;
  if (!plan && ctx.reading) return [line(seg(READING, { dim: true }))];
  if (!plan) return [line(seg('No plan: this instance has not been traced.', { dim: true }))];
  const out: Line[] = [
    line(
      'Plan ',
      seg(plan.status, { bold: true, color: plan.status === 'planned' ? 'yellow' : 'gray' }),
      plan.reason ? `  ${plan.reason}` : '',
    ),
  ];
  if (view.lastResult) out.push(line('Last apply ', ...resultLine(view.lastResult)));
  for (const w of plan.warnings) out.push(line(seg('warning ', { color: 'yellow' }), w));
  out.push(...targetLines(plan));

  out.push(
    blank,
    line(seg(`JSON Patch on request_specs.spec (${plural(plan.requestSpecPatch.length, 'op')})`, { bold: true })),
  );
  if (plan.requestSpecPatch.length === 0) out.push(line(seg('  none', { dim: true })));
  for (const op of plan.requestSpecPatch) out.push(line('  ', ...opLine(op)));

  out.push(blank, line(seg(`Row changes (${plan.rowChanges.length})`, { bold: true })));
  if (plan.rowChanges.length === 0) out.push(line(seg('  none', { dim: true })));
  for (const change of plan.rowChanges) out.push(line('  ', ...rowChangeLine(change, view)));

  out.push(blank, line(seg('Spec text diff', { bold: true })));
  if (plan.specBefore === null || plan.specAfter === null || plan.specBefore === plan.specAfter) {
    out.push(line(seg('  the spec text does not change', { dim: true })));
  } else {
    const context = Math.max(16, Math.min(60, Math.floor((ctx.width - 4) / 3)));
    const hunks = specDiffHunks(plan.specBefore, plan.specAfter, context);
    out.push(
      line(
        seg(
          `  ${plural(hunks.length, 'edit')}; every other byte of the ${plan.specBefore.length}-byte spec stays as it is`,
          {
            dim: true,
          },
        ),
      ),
    );
    for (const hunk of hunks) {
      out.push(
        line(seg(`  @ character ${hunk.offset}`, { color: 'cyan' })),
        line(seg('  - ', { color: 'red' }), ...hunk.before),
        line(seg('  + ', { color: 'green' }), ...hunk.after),
      );
    }
  }
  return out;
}
