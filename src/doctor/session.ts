// The DoctorApi the TUI holds: scan → trace → plan as one streamed session, apply and undo on demand.

import { DbError } from '../db/errors.js';
import type { NovaDatabases } from '../db/trace.js';
import { isDoctorError } from '../errors.js';
import type { PlanOptions } from '../repair/plan.js';
import type { ApplyResult, RepairPlan, UndoResult } from '../repair/types.js';
import { applyRepairs, defaultJournalPath, planFor, undoRepairs } from './repair.js';
import { scan } from './scan.js';
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

function describe(err: unknown): { message: string; hint: string | null } {
  if (isDoctorError(err)) return { message: err.message, hint: err.options.hint ?? null };
  if (err instanceof DbError) return { message: err.message, hint: null };
  return { message: err instanceof Error ? err.message : String(err), hint: null };
}

export class DoctorSession implements DoctorApi {
  private readonly listeners = new Set<(e: DoctorEvent) => void>();
  private nova: NovaDatabases | null = null;
  private readonly traced = new Map<string, TracedInstance>();
  private readonly views = new Map<string, InstanceView>();
  private readonly planOptions: PlanOptions;

  constructor(readonly config: DoctorConfig) {
    this.planOptions = { hvType: config.hvType };
  }

  subscribe(listener: (event: DoctorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: DoctorEvent): void {
    for (const l of this.listeners) l(event);
  }

  private error(where: string, err: unknown): void {
    this.emit({ type: 'error', where, ...describe(err) });
  }

  private publish(t: TracedInstance, last: ApplyResult | null = null): InstanceView {
    this.traced.set(t.uuid, t);
    const plan = this.config.readOnly && t.diagnosis.health === 'ok' ? null : planFor(t, this.planOptions);
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
      } catch (err) {
        this.error('scan', err);
      }
    }
    if (!config.db) {
      // Log-only mode: the log's incidents, untraced.
      for (const incident of report?.instances ?? []) {
        const view: InstanceView = {
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
        this.views.set(view.uuid, view);
        this.emit({ type: 'instance', view });
      }
      return [...this.views.values()];
    }
    try {
      this.nova = await openDatabases(config.db);
    } catch (err) {
      this.error('database', err);
      return [...this.views.values()];
    }
    this.emit({ type: 'cells', cells: this.nova.cells() });
    try {
      const targets = { uuids: [], scan: report, all: config.all };
      for await (const t of traceInstances(this.nova, targets, (done, total) =>
        this.emit({ type: 'trace-progress', done, total }),
      )) {
        if (signal?.aborted) break;
        if (config.all && !t.incident && t.diagnosis.health === 'ok') continue;
        this.publish(t);
      }
    } catch (err) {
      this.error('trace', err);
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
    const journalPath = options.apply ? (options.journalPath ?? defaultJournalPath()) : null;
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
      return { journalPath, results };
    }
    await this.refresh(
      results.map((r) => r.uuid),
      results,
    );
    return { journalPath, results };
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
        const incident = this.traced.get(t.uuid)?.incident ?? null;
        this.publish({ ...t, incident }, byUuid.get(t.uuid) ?? null);
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
