// Resume after a crash (`repair --resume`): for every change set the journal leaves unfinished, ask the
// databases where each row stands, then bring the journal up to date or finish / roll back the half that is
// missing. Each database part was one transaction, so a part is entirely old or entirely new unless someone
// changed the rows since; then nothing is touched and the rows are reported.

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
import { type ChangeSetHistory, changeSets, Journal, type JournalChange, loadJournal } from './journal.js';
import { requireJournalCloud } from './journalCloud.js';
import type { ValueState } from './rows.js';
import type { RowChange } from './types.js';
import { reverseChange } from './undo.js';

export interface ResumeOptions {
  apply: boolean;
  /** finish (default): complete the missing half. rollback: take the committed half back. */
  mode?: 'finish' | 'rollback';
  lockWaitTimeoutSeconds?: number;
  failAfter?: FaultPoint | null;
  /** Told things worth knowing that are not results (e.g. a version 1 journal is identified by less). */
  onNote?: (text: string) => void;
}

export type ResumeStatus =
  | 'complete' // everything was committed; the journal is brought up to date
  | 'finished' // the missing half was applied now
  | 'rolled-back' // nothing is committed now (it never was, or the committed half was taken back)
  | 'dry-run'
  | 'conflict' // rows changed since: left alone
  | 'failed';

export interface ResumeResult {
  uuid: string;
  changeSetId: string;
  kind: string;
  /** The journal's last state before resume. */
  journalState: string;
  /** Where the rows stood: per database, all old / all new / mixed (someone else changed them) / none. */
  found: { api: PartState; cell: PartState };
  status: ResumeStatus;
  reason: string | null;
  /** Rows written by this resume. */
  changed: RowChange[];
}

export type PartState = 'old' | 'new' | 'mixed' | 'none';

function partState(
  states: readonly { change: JournalChange; state: ValueState }[],
  database: 'api' | 'cell',
): PartState {
  const mine = states.filter((s) => s.change.database === database);
  if (mine.length === 0) return 'none';
  if (mine.every((s) => s.state === 'after')) return 'new';
  if (mine.every((s) => s.state === 'before')) return 'old';
  return 'mixed';
}

/** Finish or roll back whatever the journal left half done. Dry run unless options.apply. */
export async function resumeJournal(
  path: string,
  conns: RepairConnections,
  options: ResumeOptions,
): Promise<ResumeResult[]> {
  const loaded = await loadJournal(path);
  const histories = changeSets(loaded.records);
  // Another cloud's journal is refused before anything is written (exit 2).
  for (const note of await requireJournalCloud(loaded, histories, conns)) options.onNote?.(note);
  const open = histories.filter((h) => h.state !== 'done' && h.state !== 'rolled-back' && h.state !== 'cell-committed');
  // cell-committed means both COMMITs happened; only the re-check record is missing.
  const unverified = histories.filter((h) => h.state === 'cell-committed');
  const journal = options.apply ? await Journal.openForAppend(path, loaded.header) : null;
  const results: ResumeResult[] = [];
  const engine = () => ({
    journal: journal as Journal,
    failAfter: options.failAfter === undefined ? faultFromEnv() : options.failAfter,
    lockWaitTimeoutSeconds: options.lockWaitTimeoutSeconds ?? DEFAULT_LOCK_WAIT_SECONDS,
  });
  try {
    for (const h of [...open, ...unverified]) results.push(await resumeOne(h));
  } finally {
    await journal?.close();
  }
  return results;

  async function mark(
    h: ChangeSetHistory,
    state: 'api-committed' | 'cell-committed' | 'done' | 'rolled-back',
    extra: { reason?: string; verified?: boolean } = {},
  ) {
    await journal?.append({
      type: 'state',
      id: h.intent.id,
      uuid: h.intent.uuid,
      state,
      at: new Date().toISOString(),
      ...extra,
    });
  }

  async function resumeOne(h: ChangeSetHistory): Promise<ResumeResult> {
    const { intent } = h;
    const base = { uuid: intent.uuid, changeSetId: intent.id, kind: intent.kind, journalState: h.state };
    if (h.damage !== null) {
      const reason = `${h.damage}: skipped, nothing was written`;
      return { ...base, found: { api: 'none', cell: 'none' }, status: 'failed', reason, changed: [] };
    }
    let states;
    try {
      await hydrateChanges(conns, intent.changes); // a v3 journal's spec edits: their texts from the row
      states = await inspectChanges(conns, intent.cell, intent.changes);
    } catch (err) {
      return {
        ...base,
        found: { api: 'none', cell: 'none' },
        status: 'failed',
        reason: (err as Error).message,
        changed: [],
      };
    }
    const found = { api: partState(states, 'api'), cell: partState(states, 'cell') };
    const done = (status: ResumeStatus, reason: string | null, changed: RowChange[] = []): ResumeResult => ({
      ...base,
      found,
      status,
      reason,
      changed,
    });
    const parts = [found.api, found.cell].filter((p) => p !== 'none');
    const foreign = states.filter((s) => s.state === 'foreign');
    if (foreign.length > 0) {
      return done(
        'failed',
        `journal line ${h.line ?? '?'} does not describe this database: ${describeConflicts(foreign)}; skipped, nothing was written`,
      );
    }

    if (parts.includes('mixed')) {
      const moved = states.filter((s) => s.state === 'other' || s.state === 'missing');
      return done(
        'conflict',
        `rows changed since the journal was written: ${describeConflicts(moved) || 'parts are half old, half new'}; left alone`,
      );
    }
    if (parts.every((p) => p === 'new')) {
      if (!journal) return done('dry-run', 'everything is committed; the journal would be brought up to date');
      if (h.state === 'intent') await mark(h, 'api-committed');
      if (h.state !== 'cell-committed') await mark(h, 'cell-committed');
      await mark(h, 'done', { verified: true, reason: 'completed by resume: every row holds its new value' });
      return done('complete', 'everything was committed before the interruption');
    }
    if (parts.every((p) => p === 'old')) {
      if (!journal) return done('dry-run', 'nothing was committed; the journal would record the roll-back');
      await mark(h, 'rolled-back', { reason: 'resume: nothing was committed before the interruption' });
      return done('rolled-back', 'nothing was committed before the interruption');
    }

    // One database has the new values, the other the old ones: the crash fell between the two COMMITs.
    const mode = options.mode ?? 'finish';
    const committedDb: 'api' | 'cell' = found.api === 'new' ? 'api' : 'cell';
    const missingDb = committedDb === 'api' ? 'cell' : 'api';
    if (mode === 'finish') {
      const missing = intent.changes.filter((c) => c.database === missingDb);
      if (!journal)
        return done(
          'dry-run',
          `${committedDb} is committed, ${missingDb} is not: would apply the ${missing.length} ${missingDb} row(s)`,
          missing.map(toRowChange),
        );
      const outcome = await runChangeSet(
        conns,
        {
          id: intent.id,
          kind: intent.kind,
          uuid: intent.uuid,
          cell: intent.cell,
          changes: missing,
          onConflict: 'abort',
          writeIntent: false,
        },
        engine(),
      );
      if (outcome.status !== 'committed') {
        return done(outcome.status === 'conflict' ? 'conflict' : 'failed', outcome.reason);
      }
      const check = await inspectChanges(conns, intent.cell, intent.changes);
      const off = check.filter((s) => s.state !== 'after');
      await mark(h, 'done', {
        verified: off.length === 0,
        reason: off.length ? describeConflicts(off) : 'finished by resume',
      });
      return done(
        'finished',
        off.length ? `rows do not read back: ${describeConflicts(off)}` : null,
        outcome.applied.map(toRowChange),
      );
    }

    const committed = intent.changes.filter((c) => c.database === committedDb).map(reverseChange);
    if (!journal)
      return done(
        'dry-run',
        `${committedDb} is committed, ${missingDb} is not: would restore the ${committed.length} ${committedDb} row(s)`,
        committed.map(toRowChange),
      );
    const outcome = await runChangeSet(
      conns,
      {
        kind: 'resume-rollback',
        reverses: intent.id,
        uuid: intent.uuid,
        cell: intent.cell,
        changes: committed,
        onConflict: 'abort',
        writeIntent: true,
      },
      engine(),
    );
    if (outcome.status !== 'committed')
      return done(outcome.status === 'conflict' ? 'conflict' : 'failed', outcome.reason);
    await journal.append({
      type: 'state',
      id: outcome.id,
      uuid: intent.uuid,
      state: 'done',
      at: new Date().toISOString(),
      verified: true,
    });
    await mark(h, 'rolled-back', { reason: `resume: the committed ${committedDb} half was restored` });
    return done('rolled-back', `the committed ${committedDb} half was restored`, outcome.applied.map(toRowChange));
  }
}
