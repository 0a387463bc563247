// The DoctorApi the TUI holds: scan → trace → plan as one streamed session, apply and undo on demand. Which
// instances are listed and planned is flow.ts's rule, the same one trace and repair use.

import type { NovaDatabases } from '../db/trace.js';
import { ExitCode } from '../errors.js';
import type { Incident } from '../logscan/types.js';
import type { PlanOptions } from '../repair/plan.js';
import type { ApplyResult, RepairPlan, UndoResult } from '../repair/types.js';
import { describeError, userFacing } from './errors.js';
import { planShown, shownInstances, undoCommand } from './flow.js';
import { applyRepairs, defaultJournalPath, undoRepairs } from './repair.js';
import { nothingRead, scan } from './scan.js';
import { openDatabases, type TracedInstance, traceInstances } from './trace.js';
import type { DoctorApi, DoctorConfig, DoctorEvent, InstanceStatus, InstanceView, RepairOutcome } from './types.js';

function statusOf(t: TracedInstance, plan: RepairPlan | null, last: ApplyResult | null): InstanceStatus {
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

/** An instance the logs name, before (or without) the database: what the list shows when it cannot trace. */
function untracedView(incident: Incident): InstanceView {
  return {
    uuid: incident.uuid,
    status: 'untraced',
    cellName: null,
    displayName: null,
    incident,
    snapshot: null,
    diagnosis: null,
    plan: null,
    lastResult: null,
  };
}

export class DoctorSession implements DoctorApi {
  private readonly listeners = new Set<(e: DoctorEvent) => void>();
  private nova: NovaDatabases | null = null;
  private readonly traced = new Map<string, TracedInstance>();
  private readonly views = new Map<string, InstanceView>();
  private readonly planOptions: PlanOptions;

  constructor(readonly config: DoctorConfig) {
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

  private publish(t: TracedInstance, last: ApplyResult | null = null): InstanceView {
    this.traced.set(t.uuid, t);
    const plan = planShown(t, this.planOptions);
    const view: InstanceView = {
      uuid: t.uuid,
      status: statusOf(t, plan, last),
      cellName: t.diagnosis.cell?.name ?? null,
      displayName: t.snapshot.instance?.displayName ?? null,
      incident: t.incident,
      snapshot: t.snapshot,
      diagnosis: t.diagnosis,
      plan,
      lastResult: last,
    };
    this.views.set(t.uuid, view);
    this.emit({ type: 'instance', view });
    return view;
  }

  private publishUntraced(incidents: readonly Incident[]): void {
    for (const incident of incidents) {
      const view = untracedView(incident);
      this.views.set(view.uuid, view);
      this.emit({ type: 'instance', view });
    }
  }

  async start(signal?: AbortSignal): Promise<InstanceView[]> {
    const { config } = this;
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
    if (!config.db) {
      // Log-only mode: the log's incidents, untraced.
      this.publishUntraced(incidents);
      return [...this.views.values()];
    }
    try {
      this.nova = await openDatabases(config.db);
    } catch (err) {
      // The database's error goes in the header; the list still shows what the logs found.
      this.error('database', err);
      this.publishUntraced(incidents);
      return [...this.views.values()];
    }
    this.emit({ type: 'cells', cells: this.nova.cells() });
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
      this.publishUntraced(incidents.filter((i) => !this.views.has(i.uuid.toLowerCase()) && !this.views.has(i.uuid)));
    }
    return [...this.views.values()];
  }

  async repair(uuids: string[], options: { apply: boolean; journalPath?: string }): Promise<RepairOutcome> {
    if (!this.nova) throw new Error('repair before start: no database open');
    if (options.apply && this.config.readOnly) throw new Error('read-only session: repairs are disabled');
    const plans: RepairPlan[] = [];
    for (const uuid of uuids) {
      const view = this.views.get(uuid);
      if (view?.plan) plans.push(view.plan);
    }
    const journalPath = options.apply ? (options.journalPath ?? defaultJournalPath(this.config.journalDir)) : null;
    const undo = (results: ApplyResult[]) =>
      journalPath && results.some((r) => r.status === 'repaired') ? undoCommand(this.config.db, journalPath) : null;
    let results: ApplyResult[] = [];
    try {
      results = await applyRepairs(this.nova, plans, {
        apply: options.apply,
        journalPath,
        planOptions: this.planOptions,
        onProgress: (done, total, uuid) => this.emit({ type: 'apply-progress', uuid, done, total }),
      });
    } catch (err) {
      this.error('repair', err);
      return { journalPath, undoCommand: undo(results), results };
    }
    await this.refresh(
      results.map((r) => r.uuid),
      results,
    );
    return { journalPath, undoCommand: undo(results), results };
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
  private async refresh(uuids: string[], results: ApplyResult[] = []): Promise<void> {
    if (!this.nova || uuids.length === 0) return;
    const byUuid = new Map(results.map((r) => [r.uuid, r]));
    try {
      for await (const t of traceInstances(this.nova, { uuids, scan: null, all: false })) {
        const before = this.traced.get(t.uuid);
        this.publish(
          { ...t, incident: before?.incident ?? null, origin: before?.origin ?? t.origin },
          byUuid.get(t.uuid) ?? null,
        );
      }
    } catch (err) {
      this.error('refresh', err);
    }
  }

  async close(): Promise<void> {
    const nova = this.nova;
    this.nova = null;
    await nova?.close();
  }
}

export function createDoctor(config: DoctorConfig): DoctorApi {
  return new DoctorSession(config);
}
