// Which screen is up and what sits over it: the app's state machine. Pure.
import type { AppliedOutcome } from '../doctor/types.js';
import type { UndoResult } from '../repair/types.js';

export type PaneId = 'evidence' | 'stale' | 'hosts' | 'plan';
export const PANES: readonly PaneId[] = ['evidence', 'stale', 'hosts', 'plan'];
export const PANE_TITLES: Record<PaneId, string> = {
  evidence: 'Evidence',
  stale: 'Stale values',
  hosts: 'Hosts',
  plan: 'Plan',
};

export type Screen = { name: 'list' } | { name: 'detail'; uuid: string; pane: PaneId; scroll: number };

/** What a typed confirmation guards: the exact phrase, and the lines that say what will happen. */
export type ConfirmRequest =
  | { action: 'apply'; uuids: string[]; phrase: string; summary: string[] }
  | { action: 'undo'; journalPath: string; uuids: string[]; phrase: string; summary: string[] };

/** An error the doctor reported during a run. */
export interface RunNote {
  where: string;
  message: string;
  hint: string | null;
}

/** How a run ended: per-instance results, and the errors reported while it ran (empty when none). */
export type RunReport =
  | {
      action: 'apply';
      requested: number;
      journalPath: string | null;
      /** The doctor's undo command for the journal, with the session's database options. */
      undoCommand: string | null;
      results: AppliedOutcome[];
      errors: RunNote[];
    }
  | { action: 'undo'; requested: number; journalPath: string; results: UndoResult[]; errors: RunNote[] };

export type Overlay =
  | { kind: 'none' }
  | { kind: 'help'; scroll: number }
  | { kind: 'errors'; scroll: number }
  | { kind: 'confirm'; request: ConfirmRequest; typed: string; rejected: boolean }
  | { kind: 'running'; request: ConfirmRequest; id: number }
  | { kind: 'result'; report: RunReport; scroll: number };

export interface UiState {
  screen: Screen;
  overlay: Overlay;
  /** One line for the footer (e.g. "nothing to repair"); cleared by the next key. */
  notice: string | null;
  /** The journal of this session's last successful repair: what `u` undoes. */
  lastJournal: { path: string; uuids: string[] } | null;
  /** Counts runs so each confirmed one starts exactly once. */
  runs: number;
}

export const initialUi: UiState = {
  screen: { name: 'list' },
  overlay: { kind: 'none' },
  notice: null,
  lastJournal: null,
  runs: 0,
};

export type UiAction =
  | { type: 'open'; uuid: string; pane?: PaneId }
  | { type: 'back' }
  | { type: 'pane'; step: 1 | -1 }
  | { type: 'scroll'; by: number | 'top' | 'bottom'; max: number }
  | { type: 'help' }
  | { type: 'errors' }
  | { type: 'confirm'; request: ConfirmRequest }
  | { type: 'confirm-input'; text: string }
  | { type: 'confirm-erase' }
  | { type: 'confirm-submit' }
  | { type: 'run-done'; report: RunReport }
  | { type: 'notice'; text: string | null };

/** The typed text matches the phrase (surrounding spaces forgiven, nothing else). */
export function confirmAccepted(typed: string, phrase: string): boolean {
  return typed.trim() === phrase;
}

function scrolled(current: number, by: number | 'top' | 'bottom', max: number): number {
  if (by === 'top') return 0;
  if (by === 'bottom') return Math.max(0, max);
  return Math.max(0, Math.min(Math.max(0, max), current + by));
}

/** The journal a finished repair leaves for `u`, if it changed anything. */
function journalOf(report: RunReport, previous: UiState['lastJournal']): UiState['lastJournal'] {
  if (report.action === 'undo') return report.results.some((r) => r.status === 'restored') ? null : previous;
  const repaired = report.results.filter((r) => r.status === 'repaired').map((r) => r.uuid);
  if (report.journalPath === null || repaired.length === 0) return previous;
  return { path: report.journalPath, uuids: repaired };
}

export function uiReducer(state: UiState, action: UiAction): UiState {
  const { overlay, screen } = state;
  switch (action.type) {
    case 'open':
      return { ...state, screen: { name: 'detail', uuid: action.uuid, pane: action.pane ?? 'evidence', scroll: 0 } };
    case 'back':
      if (
        overlay.kind === 'help' ||
        overlay.kind === 'errors' ||
        overlay.kind === 'result' ||
        overlay.kind === 'confirm'
      ) {
        return { ...state, overlay: { kind: 'none' } };
      }
      if (overlay.kind === 'running') return state;
      if (screen.name === 'detail') return { ...state, screen: { name: 'list' } };
      return state;
    case 'pane': {
      if (screen.name !== 'detail') return state;
      const at = PANES.indexOf(screen.pane);
      const pane = PANES[(at + action.step + PANES.length) % PANES.length] ?? 'evidence';
      return { ...state, screen: { ...screen, pane, scroll: 0 } };
    }
    case 'scroll':
      if (overlay.kind === 'help' || overlay.kind === 'errors' || overlay.kind === 'result') {
        return { ...state, overlay: { ...overlay, scroll: scrolled(overlay.scroll, action.by, action.max) } };
      }
      if (screen.name === 'detail') {
        return { ...state, screen: { ...screen, scroll: scrolled(screen.scroll, action.by, action.max) } };
      }
      return state;
    case 'help':
      return { ...state, overlay: overlay.kind === 'help' ? { kind: 'none' } : { kind: 'help', scroll: 0 } };
    case 'errors':
      return { ...state, overlay: overlay.kind === 'errors' ? { kind: 'none' } : { kind: 'errors', scroll: 0 } };
    case 'confirm':
      return { ...state, overlay: { kind: 'confirm', request: action.request, typed: '', rejected: false } };
    case 'confirm-input':
      if (overlay.kind !== 'confirm') return state;
      return { ...state, overlay: { ...overlay, typed: overlay.typed + action.text, rejected: false } };
    case 'confirm-erase':
      if (overlay.kind !== 'confirm') return state;
      return { ...state, overlay: { ...overlay, typed: [...overlay.typed].slice(0, -1).join(''), rejected: false } };
    case 'confirm-submit': {
      if (overlay.kind !== 'confirm') return state;
      if (!confirmAccepted(overlay.typed, overlay.request.phrase)) {
        return { ...state, overlay: { ...overlay, rejected: true } };
      }
      const runs = state.runs + 1;
      return { ...state, runs, overlay: { kind: 'running', request: overlay.request, id: runs } };
    }
    case 'run-done':
      return {
        ...state,
        overlay: { kind: 'result', report: action.report, scroll: 0 },
        lastJournal: journalOf(action.report, state.lastJournal),
      };
    case 'notice':
      return state.notice === action.text ? state : { ...state, notice: action.text };
  }
}
