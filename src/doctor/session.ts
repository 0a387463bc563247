// The DoctorApi the TUI holds: scan → trace → plan as one streamed session, apply and undo on demand. Which
// instances are listed and planned is flow.ts's rule, the same one trace and repair use.

import { existsSync } from 'node:fs';
import type { NovaDatabases } from '../db/trace.js';
import { ExitCode } from '../errors.js';
import type { Incident } from '../logscan/types.js';
import type { PlanOptions } from '../repair/plan.js';
import type { ApplyResult, RepairPlan, UndoResult } from '../repair/types.js';
import { checkRequest } from './checks.js';
import { describeError, userFacing } from './errors.js';
import { hasStaleValues, planShown, REPAIR_PAGE, repairPages, shownInstances } from './flow.js';
import { undoCommand } from './journalCommands.js';
import { defaultJournalPath, undoRepairs } from './repair.js';
import { nothingRead, scan } from './scan.js';
import { openDatabases, type TracedInstance, traceInstances } from './trace.js';
import type {
  AppliedOutcome,
  DoctorApi,
  DoctorConfig,
  DoctorEvent,
  InstanceRow,
  InstanceStatus,
  InstanceView,
  PlanSummary,
  RepairOutcome,
} from './types.js';

function statusOf(t: TracedInstance, plan: RepairPlan | null, last: AppliedOutcome | null): InstanceStatus {
  if (last?.status === 'repaired') return 'repaired';
  switch (t.diagnosis.health) {
    case 'deleted':
      return 'deleted';
    case 'unreadable':
      return 'unreadable';
    case 'ok':
      return 'ok';
    default:
      return plan?.status === 'skipped' ? 'skipped' : t.diagnosis.health;
  }
}

/** The rows a plan writes, per database and table; `spec of` counts the spec when no row change names it. */
function writesOf(plan: RepairPlan): PlanSummary['writes'] {
  const rows = new Map<string, Set<string | number>>();
  let specRow = false;
  for (const change of plan.rowChanges) {
    if (change.table === 'request_specs') specRow = true;
    const key = `${change.database}\n${change.table}`;
    const set = rows.get(key) ?? new Set();
    set.add(change.rowId);
    rows.set(key, set);
  }
  if (!specRow && plan.requestSpecPatch.length > 0) rows.set('api\nrequest_specs', new Set(['spec']));
  return [...rows.entries()].map(([key, set]) => {
    const [database, table] = key.split('\n') as ['api' | 'cell', string];
    return { database, table, rows: set.size };
  });
}

/**
 * Plans in brief, shared between instances that plan alike: a sweep of 100k instances has a few hundred kinds
 * of plan, not 100k (bounded, so reasons that name their instance do not grow it without end).
 */
const summaries = new Map<string, PlanSummary>();
const MAX_SUMMARIES = 4096;

export function planSummary(plan: RepairPlan): PlanSummary {
  const summary: PlanSummary = { status: plan.status, reason: plan.reason, cell: plan.cell, writes: writesOf(plan) };
  // Every field, as text (a JSON.stringify of each instance's summary was a tenth of a sweep's CPU).
  let key = `${summary.status}\n${summary.reason ?? '\u0000'}\n${summary.cell?.uuid ?? '\u0000'}\n${summary.cell?.name ?? '\u0000'}`;
  for (const w of summary.writes) key += `\n${w.database}.${w.table}=${w.rows}`;
  const known = summaries.get(key);
  if (known) return known;
  if (summaries.size < MAX_SUMMARIES) summaries.set(key, summary);
  return summary;
}

function rowOf(t: TracedInstance, plan: RepairPlan, last: AppliedOutcome | null): InstanceRow {
  return {
    uuid: t.uuid,
    status: statusOf(t, plan, last),
    cellName: t.diagnosis.cell?.name ?? null,
    displayName: t.snapshot.instance?.displayName ?? null,
    incident: t.incident,
    staleCount: t.diagnosis.stale.length,
    hasStaleValues: hasStaleValues(t),
    planSummary: planSummary(plan),
    lastResult: last,
  };
}

/** An instance the logs name, before (or without) the database: what the list shows when it cannot trace. */
function untracedRow(incident: Incident): InstanceRow {
  return {
    uuid: incident.uuid,
    status: 'untraced',
    cellName: null,
    displayName: null,
    incident,
    staleCount: null,
    hasStaleValues: null,
    planSummary: null,
    lastResult: null,
  };
}

/** The outcome of an ApplyResult, its plan let go (see AppliedOutcome). */
export function appliedOutcome(result: ApplyResult): AppliedOutcome {
  const { plan: _plan, ...outcome } = result;
  return outcome;
}

export class DoctorSession implements DoctorApi {
  private readonly listeners = new Set<(e: DoctorEvent) => void>();
  private nova: NovaDatabases | null = null;
  /**
   * The rows that carry more than the list shows again after a read (the log's incident, the last repair's
   * outcome), by uuid: a sweep's other rows live in the list alone (a map of 100k rows was 100k more entries
   * for every garbage collection to mark).
   */
  private readonly rows = new Map<string, InstanceRow>();
  /** Every row start() published, in order: what it resolves with. */
  private listed: InstanceRow[] | null = [];
  /** Cells with a planned repair: where a repair needs its connections (and grants). */
  private readonly plannedCells = new Set<string>();
  private readonly planOptions: PlanOptions;

  /** Instances planned and applied per page of a repair (the CLI's page; tests make it small). */
  private readonly repairPage: number;

  constructor(
    readonly config: DoctorConfig,
    options: { repairPageSize?: number } = {},
  ) {
    this.repairPage = options.repairPageSize ?? REPAIR_PAGE;
    this.planOptions = { hvType: config.hvType, widen: config.widen ?? [] };
  }

  subscribe(listener: (event: DoctorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: DoctorEvent): void {
    for (const l of this.listeners) l(event);
  }

  private error(where: string, err: unknown): void {
    this.emit({
      type: 'error',
      where,
      ...describeError(err),
      exitCode: userFacing(err)?.exitCode ?? ExitCode.internal,
    });
  }

  private publish(t: TracedInstance, last: AppliedOutcome | null = null): InstanceRow {
    // The list's status and the confirmation's writes need the plan's decisions, not its spec text: the brief
    // plan is a third of a sweep's CPU less (the full one is made when the instance is opened or repaired).
    const row = rowOf(t, planShown(t, this.planOptions, true), last);
    this.keep(row);
    this.emit({ type: 'instance', view: row });
    return row;
  }

  private publishUntraced(incidents: readonly Incident[]): void {
    for (const incident of incidents) {
      const row = untracedRow(incident);
      this.keep(row);
      this.emit({ type: 'instance', view: row });
    }
  }

  private keep(row: InstanceRow): void {
    if (row.incident || row.lastResult) this.rows.set(row.uuid, row);
    else this.rows.delete(row.uuid);
    if (row.planSummary?.status === 'planned' && row.planSummary.cell) this.plannedCells.add(row.planSummary.cell.uuid);
    this.listed?.push(row);
  }

  /** Instances read again (named, so every one is traced), with what the list knew of them kept. */
  private async *retrace(uuids: string[]): AsyncGenerator<TracedInstance> {
    if (!this.nova || uuids.length === 0) return;
    for await (const t of traceInstances(this.nova, { uuids, scan: null, all: false })) {
      yield { ...t, incident: this.rows.get(t.uuid)?.incident ?? null };
    }
  }

  async start(signal?: AbortSignal): Promise<InstanceRow[]> {
    const { config } = this;
    // The databases first, as the CLI's trace and repair open them: what was asked is checked against them before
    // any log is scanned (a scan of gigabytes for a --hv-type no host lists, or a --cell-db no cell has, is waste).
    if (config.db) {
      try {
        const nova = await openDatabases(config.db);
        // Quit while the databases were opening (a server slow to answer): close() found none to close.
        if (this.closed) {
          await nova.close();
          return this.started();
        }
        this.nova = nova;
      } catch (err) {
        this.error('database', err);
        // Bad usage (a --cell-db that matches no cell, a URL that is not one) ends here, as on the command line; a
        // database that refused leaves the list to show what the logs found, untraced.
        if (userFacing(err)?.exitCode === ExitCode.usage) return this.started();
      }
    }
    if (this.nova) {
      this.emit({ type: 'cells', cells: this.nova.cells() });
      if (this.nova.warnings.length > 0) this.emit({ type: 'db-warnings', warnings: this.nova.warnings });
      try {
        await checkRequest(this.nova, { hvType: config.hvType });
      } catch (err) {
        this.error('request', err);
        return this.started();
      }
    }
    let report = null;
    if (config.logs.length > 0 || !config.db) {
      try {
        report = await scan(config, {
          onProgress: (progress) => this.emit({ type: 'scan-progress', progress }),
          signal,
        });
        this.emit({ type: 'scan-done', report });
        const none = nothingRead(report);
        if (none) this.error('scan', none);
      } catch (err) {
        this.error('scan', err);
      }
    }
    const incidents = report?.instances ?? [];
    if (!this.nova) {
      // Log-only mode, or the database refused: the log's incidents, untraced.
      this.publishUntraced(incidents);
      return this.started();
    }
    try {
      const targets = { uuids: [], scan: report, all: config.all };
      for await (const t of shownInstances(this.nova, targets, {
        signal,
        onProgress: (done, total) => this.emit({ type: 'trace-progress', done, total }),
      }))
        this.publish(t);
    } catch (err) {
      this.error('trace', err);
      // Whatever the trace did not reach is still listed as the logs found it.
      this.publishUntraced(incidents.filter((i) => !this.rows.has(i.uuid.toLowerCase()) && !this.rows.has(i.uuid)));
    }
    return this.started();
  }

  /** What start() resolves with; later rows (read again, repaired) are only reported as events. */
  private started(): InstanceRow[] {
    const rows = this.listed ?? [];
    this.listed = null;
    return rows;
  }

  async detail(uuid: string): Promise<InstanceView> {
    const row = this.rows.get(uuid);
    for await (const t of this.retrace([uuid])) {
      const plan = planShown(t, this.planOptions);
      const fresh = rowOf(t, plan, row?.lastResult ?? null);
      // The list shows what was read last; the caller gets the same row inside the view.
      this.keep(fresh);
      return { ...fresh, snapshot: t.snapshot, diagnosis: t.diagnosis, plan };
    }
    const known = row ?? untracedRow({ uuid } as Incident);
    return { ...known, snapshot: null, diagnosis: null, plan: null };
  }

  async repair(uuids: string[], options: { apply: boolean; journalPath?: string }): Promise<RepairOutcome> {
    const nova = this.nova;
    if (!nova) throw new Error('repair before start: no database open');
    if (options.apply && this.config.readOnly) throw new Error('read-only session: repairs are disabled');
    // The same paged flow as `repair --all --apply`: the chosen instances are read again, planned from their rows
    // as they are now (the list keeps no plans, and a plan made from what the sweep read minutes ago would only
    // meet conflicts) and applied 200 at a time, each page's rows read back for the list; nothing of a page is
    // kept after it but each instance's outcome (no plan), so repairing the whole list stays in the sweep's memory.
    // Connections (and grants) for every cell with a planned repair: the list's rows are not kept here.
    const cells = this.plannedCells;
    const journalPath = options.apply ? (options.journalPath ?? defaultJournalPath(this.config.journalDir)) : null;
    const results: AppliedOutcome[] = [];
    let page: AppliedOutcome[] = [];
    let written: string | null = null;
    try {
      written = await repairPages(
        nova,
        { uuids, scan: null, all: false },
        {
          apply: options.apply,
          journalPath,
          db: this.config.db,
          planOptions: this.planOptions,
          cellUuids: [...cells],
          confirmed: new Set(uuids),
          total: uuids.length,
          pageSize: this.repairPage,
          onProgress: (done, total, uuid) => this.emit({ type: 'apply-progress', uuid, done, total }),
        },
        async (r) => {
          const outcome = appliedOutcome(r);
          results.push(outcome);
          page.push(outcome);
          if (page.length >= this.repairPage) {
            const done = page;
            page = [];
            await this.refresh(
              done.map((o) => o.uuid),
              done,
            );
          }
        },
      );
    } catch (err) {
      this.error('repair', err);
      // Pages applied before the failure are in the journal: the operator needs it to undo or resume them.
      if (journalPath && existsSync(journalPath)) written = journalPath;
    }
    // What was applied before a failure is listed as the database holds it too.
    await this.refresh(
      page.map((o) => o.uuid),
      page,
    );
    const undo = written && results.some((r) => r.status === 'repaired') ? undoCommand(this.config.db, written) : null;
    return { journalPath: written, undoCommand: undo, results };
  }

  async undo(journalPath: string, options: { apply: boolean }): Promise<UndoResult[]> {
    if (!this.nova) throw new Error('undo before start: no database open');
    if (options.apply && this.config.readOnly) throw new Error('read-only session: undo is disabled');
    let results: UndoResult[] = [];
    try {
      results = await undoRepairs(this.nova, journalPath, options.apply);
    } catch (err) {
      this.error('undo', err);
      return results;
    }
    if (options.apply) await this.refresh(results.map((r) => r.uuid));
    return results;
  }

  /** Re-read instances after a write so the list shows what the database holds now, not what we hoped. */
  private async refresh(uuids: string[], outcomes: readonly AppliedOutcome[] = []): Promise<void> {
    const byUuid = new Map(outcomes.map((r) => [r.uuid, r]));
    try {
      for await (const t of this.retrace(uuids)) this.publish(t, byUuid.get(t.uuid) ?? null);
    } catch (err) {
      this.error('refresh', err);
    }
  }

  /** close() was called: a start still opening the databases closes them itself. */
  private closed = false;

  async close(): Promise<void> {
    this.closed = true;
    const nova = this.nova;
    this.nova = null;
    await nova?.close();
  }
}

export function createDoctor(config: DoctorConfig): DoctorApi {
  return new DoctorSession(config);
}
