// A DoctorApi in memory: emits what the test tells it to, records what the TUI asked for.
import type {
  DoctorApi,
  DoctorConfig,
  DoctorEvent,
  InstanceRow,
  InstanceView,
  RepairOutcome,
} from '../../src/doctor/types.js';
import type { ApplyResult, UndoResult } from '../../src/repair/types.js';
import { config as makeConfig } from './data.js';

export class FakeDoctor implements DoctorApi {
  readonly config: DoctorConfig;
  private listeners = new Set<(event: DoctorEvent) => void>();
  private views: InstanceView[];
  private resolveStart: ((views: InstanceRow[]) => void) | null = null;
  private rejectStart: ((error: Error) => void) | null = null;
  startSignal: AbortSignal | undefined;
  startCalls = 0;
  closed = false;
  repairCalls: { uuids: string[]; apply: boolean }[] = [];
  undoCalls: { journalPath: string; apply: boolean }[] = [];
  detailCalls: string[] = [];
  /** The latest full view of each instance, as detail() answers it (views given, emitted or repaired). */
  private full = new Map<string, InstanceView>();
  /** Replaceable per test: what repair() does. */
  onRepair: (uuids: string[]) => Promise<RepairOutcome> = async (uuids) => this.defaultRepair(uuids);
  onUndo: (journalPath: string) => Promise<UndoResult[]> = async () => [];

  constructor(options: { config?: Partial<DoctorConfig>; views?: InstanceView[]; manualStart?: boolean } = {}) {
    this.config = makeConfig(options.config);
    this.views = options.views ?? [];
    for (const v of this.views) this.full.set(v.uuid, v);
    this.manual = options.manualStart ?? false;
  }
  private manual: boolean;

  subscribe(listener: (event: DoctorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(...events: DoctorEvent[]): void {
    for (const event of events) {
      if (event.type === 'instance' && 'plan' in event.view) this.full.set(event.view.uuid, event.view as InstanceView);
      for (const l of this.listeners) l(event);
    }
  }

  /** Replaceable per test: what detail() answers. */
  onDetail: (uuid: string) => Promise<InstanceView> = async (uuid) => {
    const view = this.full.get(uuid);
    if (!view) throw new Error(`no instance ${uuid}`);
    return view;
  };

  detail(uuid: string): Promise<InstanceView> {
    this.detailCalls.push(uuid);
    return this.onDetail(uuid);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  start(signal?: AbortSignal): Promise<InstanceRow[]> {
    this.startCalls += 1;
    this.startSignal = signal;
    return new Promise((resolve, reject) => {
      this.resolveStart = resolve;
      this.rejectStart = reject;
      if (!this.manual) setImmediate(() => this.finishStart());
    });
  }

  /** Ends start(): with the views given at construction unless told otherwise. */
  finishStart(views: InstanceView[] = this.views): void {
    for (const v of views) this.full.set(v.uuid, v);
    this.resolveStart?.(views);
  }

  failStart(message: string): void {
    this.rejectStart?.(new Error(message));
  }

  defaultRepair(uuids: string[]): RepairOutcome {
    const results: ApplyResult[] = [];
    for (const uuid of uuids) {
      const view = this.views.find((v) => v.uuid === uuid);
      if (!view?.plan) continue;
      this.emit({ type: 'apply-progress', uuid, done: 1, total: 2 });
      const result: ApplyResult = { uuid, status: 'repaired', reason: null, plan: view.plan };
      results.push(result);
      this.emit({ type: 'instance', view: { ...view, status: 'repaired', lastResult: result } });
    }
    const journalPath = '/var/lib/nova-doctor/journal-20261127T144646.jsonl';
    return {
      journalPath,
      undoCommand: `nova-doctor undo --config /etc/nova/nova.conf --journal ${journalPath} --apply`,
      results,
    };
  }

  repair(uuids: string[], options: { apply: boolean; journalPath?: string }): Promise<RepairOutcome> {
    this.repairCalls.push({ uuids, apply: options.apply });
    return this.onRepair(uuids);
  }

  undo(journalPath: string, options: { apply: boolean }): Promise<UndoResult[]> {
    this.undoCalls.push({ journalPath, apply: options.apply });
    return this.onUndo(journalPath);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
