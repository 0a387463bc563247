// Undo from a journal: every row goes back to its journaled old value, with the same compare-and-swap on the
// journaled NEW value. A row that changed since the repair is left alone and reported; the other rows of the
// instance are still restored (each row's old value is only meaningful next to its own new value).
// A hard-deleted system metadata row is inserted again with its id and every column as journaled.

import { DEFAULT_LOCK_WAIT_SECONDS, toRowChange } from './apply.js';
import {
  describeConflicts,
  type FaultPoint,
  faultFromEnv,
  hydrateChanges,
  inspectChanges,
  type RepairConnections,
  runChangeSet,
} from './engine.js';
import { type ChangeSetHistory, changeSets, Journal, type JournalChange, loadJournal, sha256 } from './journal.js';
import { requireJournalCloud } from './journalCloud.js';
import { reverseSpans } from './specEdit.js';
import type { RowChange, UndoResult } from './types.js';

export interface UndoOptions {
  /** false (the default): say what would be restored; nothing is written. */
  apply: boolean;
  lockWaitTimeoutSeconds?: number;
  failAfter?: FaultPoint | null;
  /** Only these instances (default: every instance in the journal). */
  uuids?: readonly string[];
  /** Told things worth knowing that are not results (e.g. a version 1 journal is identified by less). */
  onNote?: (text: string) => void;
}

function withoutSeal(c: JournalChange): JournalChange {
  const { sha256: _seal, ...rest } = c;
  return rest;
}

/** The change that takes a journaled change back (the engine seals it again when it journals it). */
export function reverseChange(c: JournalChange): JournalChange {
  const action = c.action === 'delete' ? 'insert' : c.action === 'insert' ? 'delete' : 'update';
  return {
    ...withoutSeal(c),
    action,
    before: c.after,
    after: c.before,
    beforeSha256: sha256(c.after),
    afterSha256: sha256(c.before),
    ...(c.row ? { row: c.row } : {}),
    ...(c.spans ? { spans: reverseSpans(c.spans) } : {}),
  };
}

function isCommitted(h: ChangeSetHistory): boolean {
  return h.state === 'cell-committed' || h.state === 'done';
}

/** Undo every repair recorded in the journal (dry run unless options.apply). */
export async function undoJournal(path: string, conns: RepairConnections, options: UndoOptions): Promise<UndoResult[]> {
  const loaded = await loadJournal(path);
  const histories = changeSets(loaded.records);
  // Another cloud's journal is refused before anything is written (exit 2).
  for (const note of await requireJournalCloud(loaded, histories, conns)) options.onNote?.(note);
  const repairs = histories.filter(
    (h) => h.intent.kind === 'repair' && (!options.uuids || options.uuids.includes(h.intent.uuid)),
  );
  const journal = options.apply ? await Journal.openForAppend(path, loaded.header) : null;
  const results: UndoResult[] = [];
  try {
    for (const repair of repairs) results.push(await undoOne(repair));
  } finally {
    await journal?.close();
  }
  return results;

  async function undoOne(repair: ChangeSetHistory): Promise<UndoResult> {
    const uuid = repair.intent.uuid;
    const base = (
      status: UndoResult['status'],
      reason: string | null,
      restored: RowChange[] = [],
      conflicts: UndoResult['conflicts'] = [],
    ): UndoResult => ({
      uuid,
      status,
      reason,
      restored,
      conflicts,
    });
    if (repair.damage !== null) return base('failed', `${repair.damage}: skipped, nothing was written`);
    if (repair.state === 'rolled-back') return base('nothing-to-do', 'the repair was rolled back: nothing to undo');
    if (!isCommitted(repair)) {
      return base(
        'failed',
        `the repair was interrupted (journal state ${repair.state}); run resume on this journal first`,
      );
    }
    const undos = histories.filter((h) => h.intent.reverses === repair.intent.id && h.intent.kind === 'undo');
    if (undos.some((u) => isCommitted(u))) return base('nothing-to-do', 'already undone');
    if (undos.some((u) => u.state === 'intent' || u.state === 'api-committed')) {
      return base('failed', 'an earlier undo of this instance was interrupted; run resume on this journal first');
    }

    let states;
    try {
      await hydrateChanges(conns, repair.intent.changes);
      const reversed = repair.intent.changes.map(reverseChange);
      states = await inspectChanges(conns, repair.intent.cell, reversed);
    } catch (err) {
      return base('failed', (err as Error).message);
    }
    // 'before' of a reversed change is the repaired value: exactly those rows can be restored.
    const todo = states.filter((s) => s.state === 'before').map((s) => s.change);
    const already = states.filter((s) => s.state === 'after');
    const moved = states.filter((s) => s.state === 'other' || s.state === 'missing' || s.state === 'foreign');
    const conflicts = moved.map((m) => ({ change: toRowChange(m.change), currentValue: m.current }));
    // A row that is not the instance's (an edited row id, another cloud's journal): the line is not trusted at all.
    const foreign = states.filter((s) => s.state === 'foreign');
    if (foreign.length > 0) {
      return base(
        'failed',
        `journal line ${repair.line ?? '?'} does not describe this database: ${describeConflicts(foreign)}; skipped, nothing was written`,
        [],
        conflicts,
      );
    }
    if (todo.length === 0) {
      if (moved.length === 0) return base('nothing-to-do', `every row already holds its old value (${already.length})`);
      return base('conflict', `${describeConflicts(moved)}: left alone`, [], conflicts);
    }
    if (!journal) {
      const reason = moved.length > 0 ? `would leave alone: ${describeConflicts(moved)}` : null;
      return base('dry-run', reason, todo.map(toRowChange), conflicts);
    }
    const outcome = await runChangeSet(
      conns,
      {
        kind: 'undo',
        reverses: repair.intent.id,
        uuid,
        cell: repair.intent.cell,
        changes: todo,
        onConflict: 'skip-row',
        writeIntent: true,
      },
      {
        journal,
        failAfter: options.failAfter === undefined ? faultFromEnv() : options.failAfter,
        lockWaitTimeoutSeconds: options.lockWaitTimeoutSeconds ?? DEFAULT_LOCK_WAIT_SECONDS,
      },
    );
    const allConflicts = [
      ...conflicts,
      ...outcome.conflicts.map((c) => ({ change: toRowChange(c.change), currentValue: c.current })),
    ];
    if (outcome.status !== 'committed') {
      return base(outcome.status === 'conflict' ? 'conflict' : 'failed', outcome.reason, [], allConflicts);
    }
    const check = await inspectChanges(conns, repair.intent.cell, outcome.applied);
    const off = check.filter((s) => s.state !== 'after');
    await journal.append({
      type: 'state',
      id: outcome.id,
      uuid,
      state: 'done',
      at: new Date().toISOString(),
      verified: off.length === 0,
      ...(off.length ? { reason: describeConflicts(off) } : {}),
    });
    if (off.length > 0)
      return base(
        'failed',
        `restored, but rows do not read back: ${describeConflicts(off)}`,
        outcome.applied.map(toRowChange),
        allConflicts,
      );
    const reason =
      allConflicts.length > 0
        ? `left alone (changed since the repair): ${describeConflicts([...moved, ...outcome.conflicts])}`
        : null;
    return base(
      allConflicts.length > 0 ? 'conflict' : 'restored',
      reason,
      outcome.applied.map(toRowChange),
      allConflicts,
    );
  }
}
