// The flow both faces run: which instances are shown, which are planned, and what each outcome means as an exit
// code. The CLI's commands and the TUI's DoctorSession call these and nothing else decides them: a rule written
// twice, once per face, drifts (the TUI once dropped healthy instances with a problem that trace listed).

import type { NovaDatabases } from '../db/trace.js';
import type { CellStatus } from '../db/types.js';
import { DoctorError, ExitCode, type ExitCodeValue, strongestExit } from '../errors.js';
import { applyPlans } from '../repair/apply.js';
import { cloudOf } from '../repair/cloudIdentity.js';
import { Journal } from '../repair/journal.js';
import type { PlanOptions } from '../repair/plan.js';
import type { ApplyResult, RepairPlan, UndoResult } from '../repair/types.js';
import { userFacing } from './errors.js';
import { resumeCommand } from './journalCommands.js';
import {
  defaultJournalPath,
  durabilityWarnings,
  PARALLEL_FROM,
  PARALLEL_SETS,
  planFor,
  type RepairRun,
  requireRepairGrants,
  withConnections,
} from './repair.js';
import { type TracedInstance, type TraceTargets, traceInstances } from './trace.js';
import type { InstanceRow } from './types.js';

/**
 * Which traced instances are shown (trace, repair, the TUI): every instance named or found in a log, and from a
 * sweep those that need a look: stale values, a problem (a node that is not its host's, a missing spec, …), or a
 * value set on purpose that keeps some hosts out (narrowing: reported, and what `--widen` would act on).
 */
export function isShown(t: TracedInstance, includeHealthy = false): boolean {
  if (includeHealthy || t.origin !== 'sweep') return true;
  const d = t.diagnosis;
  return d.health !== 'ok' || d.problems.length > 0 || d.narrowing.length > 0;
}

/**
 * Whether the instance has stale values a repair writes, now or once the task nova runs on it has finished: what
 * trace counts (exit 1), a dry run leaves pending and an applying run that skips it has not made. One repair never
 * acts on (cell0, deleted, a spec nova cannot load, no host to repair towards; whyNotRepaired) shows its leftovers
 * with nothing they become: reported, not counted, as deleted instances and those without image properties are.
 */
export function hasStaleValues(t: TracedInstance): boolean {
  return t.diagnosis.stale.some((s) => s.becomes !== undefined);
}

export interface TraceTally {
  /** Instances traced (shown or not). */
  traced: number;
  /** Instances shown. */
  shown: number;
  /** Instances with stale values a repair writes (hasStaleValues). */
  stale: number;
}

/** The instances to show, streamed in trace's order; `tally` counts as it goes. */
export async function* shownInstances(
  nova: NovaDatabases,
  targets: TraceTargets,
  options: {
    includeHealthy?: boolean;
    tally?: TraceTally;
    onProgress?: (done: number, total: number | null) => void;
    signal?: AbortSignal;
  } = {},
): AsyncGenerator<TracedInstance> {
  const tally = options.tally ?? { traced: 0, shown: 0, stale: 0 };
  for await (const t of traceInstances(nova, targets, options.onProgress)) {
    if (options.signal?.aborted) return;
    tally.traced++;
    if (hasStaleValues(t)) tally.stale++;
    if (!isShown(t, options.includeHealthy)) continue;
    tally.shown++;
    yield t;
  }
}

/**
 * The plan of a shown instance (every shown instance has one). A planner that throws on one instance's data is
 * that instance's "skipped", never the whole list's error. `brief`: planBrief's (a list's status and rows to
 * write, without the spec edited or checked), never to be applied.
 */
export function planShown(t: TracedInstance, options: PlanOptions, brief = false): RepairPlan {
  try {
    return planFor(t, options, brief);
  } catch (err) {
    return {
      uuid: t.uuid,
      cell: t.diagnosis.cell,
      status: 'skipped',
      reason: `could not be planned: ${err instanceof Error ? err.message : String(err)}`,
      requestSpecPatch: [],
      specBefore: null,
      specAfter: null,
      rowChanges: [],
      warnings: [],
    };
  }
}

/** What a first pass over the targets found to repair: asked for in the confirmation, and all a second pass applies. */
export interface PlannedCount {
  /** Instances traced and shown. */
  shown: number;
  /** Instances with a planned change. */
  planned: Set<string>;
  /** Cells those are in (uuid → name). */
  cells: Map<string, string>;
}

/** repair's first pass: plans every shown instance and keeps only which are planned, and where (memory stays flat). */
export async function countPlanned(
  nova: NovaDatabases,
  targets: TraceTargets,
  options: PlanOptions,
): Promise<PlannedCount> {
  const out: PlannedCount = { shown: 0, planned: new Set(), cells: new Map() };
  for await (const t of shownInstances(nova, targets)) {
    out.shown++;
    const plan = planShown(t, options);
    if (plan.status !== 'planned') continue;
    out.planned.add(plan.uuid);
    if (plan.cell) out.cells.set(plan.cell.uuid, plan.cell.name ?? plan.cell.uuid);
  }
  return out;
}

/** The reason of an instance that was not planned (or not stale) when the repair was confirmed, and is now. */
export const NOT_CONFIRMED_REASON =
  'not planned when the repair was confirmed (it changed since): nothing was changed; run repair again';

/** Instances planned and applied per page: each page is one applyPlans (its instances in parallel). */
export const REPAIR_PAGE = 200;

/** Tells whether a repair's results make an exit code (see repairExitCode), gathered as they stream by. */
export interface RepairOutcome {
  notMade: boolean;
  pending: boolean;
}

export function noteOutcome(o: RepairOutcome, r: ApplyResult, t: TracedInstance | undefined, applied: boolean): void {
  if (changeNotMade(r, t, applied)) o.notMade = true;
  // A declined confirmation ran as a dry run: its changes are pending like any dry run's.
  if (r.status === 'dry-run' || (r.status === 'skipped' && t !== undefined && hasStaleValues(t))) o.pending = true;
}

/**
 * repair (the CLI's `repair`, and the TUI's `a` through DoctorSession.repair), page by page as the sweep reads: each page of shown instances is planned and applied (or checked, in a
 * dry run), and its results handed to `onResult` in trace's order; nothing of a page is kept after it. With
 * `confirmed`, only instances planned in the first pass (countPlanned) are applied: a confirmation covers what
 * it counted. Every change is still compare-and-swapped under its row locks (applyPlans). The journal is made
 * when the first planned change is about to be written. Returns the journal's path if one was written.
 */
export async function repairPages(
  nova: NovaDatabases,
  targets: TraceTargets,
  run: RepairRun & {
    /** Cells to open connections to (a first pass's cells; a dry run: every reachable cell). */
    cellUuids: readonly string[];
    confirmed: ReadonlySet<string> | null;
    total: number | null;
    /** Instances planned and applied per page (default 200). */
    pageSize?: number;
  },
  onResult: (r: ApplyResult, t: TracedInstance) => void | Promise<void>,
): Promise<string | null> {
  // Several instances at once only when there are enough to gain from it.
  const sets = run.apply && (run.confirmed?.size ?? 0) >= PARALLEL_FROM ? PARALLEL_SETS : 1;
  return withConnections(
    nova,
    run.cellUuids,
    async (conns) => {
      if (run.apply && conns[0]) {
        await requireRepairGrants(conns[0]);
        for (const w of await durabilityWarnings(conns[0])) run.onWarning?.(w);
      }
      let journal: Journal | null = null;
      let done = 0;
      let page: { t: TracedInstance; plan: RepairPlan }[] = [];
      const flush = async () => {
        const plans = page.map((x) => x.plan);
        if (run.apply && journal === null && plans.some((p) => p.status === 'planned') && conns[0]) {
          journal = await Journal.create(run.journalPath ?? defaultJournalPath(), { cloud: await cloudOf(conns[0]) });
        }
        const results = await applyPlans(plans, conns, {
          apply: run.apply,
          journal: journal ?? undefined,
          planOptions: run.planOptions,
          signal: run.signal,
          onProgress: (n, _total, uuid) => run.onProgress?.(done + n, run.total ?? 0, uuid),
        });
        for (const [i, r] of results.entries()) await onResult(r, page[i]!.t);
        done += plans.length;
        page = [];
      };
      try {
        for await (const t of shownInstances(nova, targets, { signal: run.signal })) {
          let plan = planShown(t, run.planOptions);
          if (run.confirmed && plan.status === 'planned' && !run.confirmed.has(plan.uuid))
            plan = { ...plan, status: 'skipped', reason: NOT_CONFIRMED_REASON };
          page.push({ t, plan });
          if (page.length >= (run.pageSize ?? REPAIR_PAGE)) await flush();
        }
        if (page.length > 0) await flush();
      } catch (e) {
        // Pages already written are in the journal: a database error after them (a sweep read that failed between
        // pages, a connection lost mid-apply) must still say where it is and how to go on, with the command that
        // reaches these databases. Anything else (a bug, an injected fault) goes on as it is.
        const j = journal as Journal | null;
        const said = userFacing(e);
        if (j === null || said === null || said.exitCode === ExitCode.usage) throw e;
        await j.drain().catch(() => undefined); // what is on disk is what resume reads; the cause matters more
        throw new DoctorError(
          `${said.line}; the journal ${j.path} says what was committed: once the cause is fixed, run '${resumeCommand(run.db ?? null, j.path)}', then repair again`,
          { exitCode: ExitCode.incomplete, journal: j.path },
        );
      } finally {
        await (journal as Journal | null)?.close();
      }
      return (journal as Journal | null)?.path ?? null;
    },
    sets,
  );
}

/** Cells whose instances a trace could not read: traced cells (not cell0, not disabled) that are unreachable. */
export function skippedCells(cells: readonly CellStatus[]): CellStatus[] {
  return cells.filter((c) => !c.reachable && !c.disabled && !c.isCell0);
}

/**
 * One line per unreachable cell, short: a disabled cell or cell0 is not traced anyway, so its (often long)
 * connection error is cut to its first clause.
 */
export function cellNotes(cells: readonly CellStatus[]): string[] {
  return cells
    .filter((c) => !c.reachable)
    .map((c) => {
      const name = c.name ?? c.uuid;
      if (c.disabled || c.isCell0) {
        // "cell database NAME (UUID) URL: <why>; <hint>": the why alone.
        const error = c.error ?? '';
        const why = (error.includes(': ') ? error.slice(error.indexOf(': ') + 2) : error).split(';')[0]?.trim();
        return `${c.disabled ? 'disabled ' : ''}cell ${name} not traced: ${(why || 'unreachable').slice(0, 100)}`;
      }
      return `cell ${name} unreachable, its instances were skipped: ${c.error ?? ''}`;
    });
}

/** What a run could read of its input: the cells (an unreachable one is skipped), and whether logs were skipped. */
export interface InputRead {
  cells: readonly CellStatus[];
  /** A log file, or a part of one, was skipped (skippedInput of the scan: unreadable, truncated, binary). */
  logSkipped: boolean;
}

/** Some input skipped: a log (or part of one), or a cell whose instances could not be read. */
export function inputSkipped(input: InputRead): boolean {
  return input.logSkipped || skippedCells(input.cells).length > 0;
}

// The exit codes of a run that went to its end, each the strongest of its outcomes in the one order of
// EXIT_PRECEDENCE (src/errors.ts): 5 before 3 before 1 before 0. A UUID nova does not know and an option value no
// host could satisfy are 2 before any work (checks.ts), never an outcome here.

/** trace: 3 some input skipped (a log, a cell), else 1 something stale, else 0. */
export function traceExitCode(tally: TraceTally, input: InputRead): ExitCodeValue {
  return strongestExit(inputSkipped(input) && ExitCode.partial, tally.stale > 0 && ExitCode.found);
}

/**
 * Rows of a list that are affected: values a repair writes (hasStaleValues, as trace counts them), or rejected in a
 * log and not traced. Leftovers repair leaves alone (cell0, deleted) are listed, not counted, as in trace.
 */
export function isAffectedRow(row: Pick<InstanceRow, 'hasStaleValues'>): boolean {
  return row.hasStaleValues !== false;
}

/**
 * The TUI's list printed as a summary (no terminal): the first error's code (the database refused, nothing read),
 * else as trace: 3 some input skipped, 1 affected instances listed, 0 none.
 */
export function listExitCode(
  rows: readonly Pick<InstanceRow, 'hasStaleValues'>[],
  input: InputRead & { error: ExitCodeValue | null },
): ExitCodeValue {
  return strongestExit(
    input.error,
    inputSkipped(input) && ExitCode.partial,
    rows.some(isAffectedRow) && ExitCode.found,
  );
}

/**
 * A planned change that was not made: a conflict, a failure, or (when applying) an instance with stale values a
 * repair writes that this one had to skip (a task in progress, an option its cell cannot take). Deleted instances
 * and those repair cannot act on (cell0, no image in the spec, no image properties, a spec that is not JSON) have
 * nothing a repair writes (hasStaleValues): reported, not failures.
 */
export function changeNotMade(r: ApplyResult, t: TracedInstance | undefined, applied: boolean): boolean {
  if (r.status === 'conflict' || r.status === 'failed') return true;
  return applied && r.status === 'skipped' && t !== undefined && hasStaleValues(t);
}

/**
 * repair: 5 a planned change not made; 3 some input skipped (a log, a cell); 1 changes pending (a dry run, or a declined
 * confirmation, with something to change now or once a task has finished); 0 every planned change made, or
 * nothing to do.
 */
export function repairExitCode(
  results: readonly ApplyResult[],
  traced: ReadonlyMap<string, TracedInstance>,
  run: InputRead & { applied: boolean },
): ExitCodeValue {
  const o: RepairOutcome = { notMade: false, pending: false };
  for (const r of results) noteOutcome(o, r, traced.get(r.uuid), run.applied);
  return repairExitCodeOf(o, run);
}

/** repairExitCode from what noteOutcome gathered. */
export function repairExitCodeOf(o: RepairOutcome, input: InputRead): ExitCodeValue {
  return strongestExit(
    o.notMade && ExitCode.incomplete,
    inputSkipped(input) && ExitCode.partial,
    o.pending && ExitCode.found,
  );
}

/** undo (and resume): 5 a row not restored (conflict, failure); 1 a dry run with restores pending; else 0. */
export function undoExitCode(results: readonly (UndoResult | { status: string })[]): ExitCodeValue {
  if (results.some((r) => r.status === 'conflict' || r.status === 'failed')) return ExitCode.incomplete;
  return results.some((r) => r.status === 'dry-run') ? ExitCode.found : ExitCode.ok;
}
