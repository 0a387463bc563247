// Keys in, intents out: every key goes through the keymap; nothing here knows a key by its letter.
import { type Key, useInput } from 'ink';
import { useCallback, useRef } from 'react';
import type { InstanceRow } from '../../doctor/types.js';
import { ExitCode } from '../../errors.js';
import { applyRequest, type RequestOrNotice, undoRequest } from '../confirm.js';
import { Command, type KeyContext, keyName, resolveCommand } from '../keymap.js';
import type { ListAction, ListState, Move } from '../list.js';
import { confirmAccepted, type UiAction, type UiState } from '../screen.js';
import type { SessionState } from '../state.js';

export interface InputEnv {
  context: KeyContext;
  readOnly: boolean;
  ui: UiState;
  list: ListState;
  session: SessionState;
  /** The list's rows in order, and the instance under the cursor. */
  rows: readonly InstanceRow[];
  cursor: string | null;
  listRows: number;
  /** For the scrollable screen in front: its page height and how far it can scroll. */
  pageRows: number;
  scrollMax: number;
  dispatchList: (action: ListAction) => void;
  dispatchUi: (action: UiAction) => void;
  quit: (code: number) => void;
}

/** Exit code for Ctrl-C, as a shell reports a SIGINT. */
export const EXIT_INTERRUPTED = ExitCode.interrupted;

const TEXT_CONTEXTS: readonly KeyContext[] = ['filter', 'confirm'];
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/** The key one character of a burst stands for, as ink would have reported it alone. */
export function keyOfChar(ch: string): [string, Key] {
  if (ch === '\r' || ch === '\n') return ['', { ...NO_KEY, return: true }];
  if (ch === '\t') return ['', { ...NO_KEY, tab: true }];
  if (ch === '\u007f' || ch === '\b') return ['', { ...NO_KEY, backspace: true }];
  const code = ch.charCodeAt(0);
  if (code >= 1 && code <= 26) return [String.fromCharCode(code + 96), { ...NO_KEY, ctrl: true }];
  return [ch, NO_KEY];
}

function isPlain(key: Key): boolean {
  return !key.ctrl && !key.meta && !key.escape && !key.return && !key.tab && !key.backspace && !key.delete;
}

function offer(result: RequestOrNotice, env: InputEnv): void {
  if ('notice' in result) env.dispatchUi({ type: 'notice', text: result.notice });
  else env.dispatchUi({ type: 'confirm', request: result.request });
}

function move(by: Move, env: InputEnv): void {
  if (env.context === 'list') {
    env.dispatchList({ type: 'move', by, visible: env.rows, height: env.listRows });
  } else {
    env.dispatchUi({ type: 'scroll', by, max: env.scrollMax });
  }
}

function page(env: InputEnv): number {
  return Math.max(1, (env.context === 'list' ? env.listRows : env.pageRows) - 1);
}

/** The instance an action is about: the one open in detail, else the one under the cursor. */
function current(env: InputEnv): string | null {
  return env.ui.screen.name === 'detail' ? env.ui.screen.uuid : env.cursor;
}

export function runCommand(command: Command, env: InputEnv): void {
  const { dispatchList, dispatchUi } = env;
  switch (command) {
    case Command.ForceQuit:
      return env.quit(EXIT_INTERRUPTED);
    case Command.Quit:
      return env.quit(ExitCode.ok);
    case Command.Back:
    case Command.Cancel:
      return dispatchUi({ type: 'back' });
    case Command.Up:
      return move(-1, env);
    case Command.Down:
      return move(1, env);
    case Command.PageUp:
      return move(-page(env), env);
    case Command.PageDown:
      return move(page(env), env);
    case Command.Top:
      return move('top', env);
    case Command.Bottom:
      return move('bottom', env);
    case Command.Open:
      if (env.cursor) dispatchUi({ type: 'open', uuid: env.cursor });
      return;
    case Command.NextPane:
      return dispatchUi({ type: 'pane', step: 1 });
    case Command.PrevPane:
      return dispatchUi({ type: 'pane', step: -1 });
    case Command.Plan: {
      const uuid = current(env);
      if (uuid) dispatchUi({ type: 'open', uuid, pane: 'plan' });
      return;
    }
    case Command.Mark:
      if (!env.cursor) return;
      dispatchList({ type: 'toggle-mark', uuid: env.cursor });
      return move(1, env);
    case Command.MarkAll: {
      const planned = env.rows.filter((v) => v.planSummary?.status === 'planned').map((v) => v.uuid);
      if (planned.length === 0) return dispatchUi({ type: 'notice', text: 'no listed instance has a planned repair' });
      return dispatchList({ type: 'mark-all', uuids: planned });
    }
    case Command.Apply: {
      const marked = env.ui.screen.name === 'list' ? [...env.list.marked] : [];
      const here = current(env);
      const uuids = marked.length > 0 ? marked : here ? [here] : [];
      if (uuids.length === 0) return dispatchUi({ type: 'notice', text: 'nothing chosen: mark instances with Space' });
      return offer(applyRequest(uuids, env.session.views), env);
    }
    case Command.Undo:
      return offer(undoRequest(env.ui.lastJournal), env);
    case Command.Filter:
      return dispatchList({ type: 'filter-start' });
    case Command.ClearFilter:
      return dispatchList({ type: 'filter-clear' });
    case Command.Sort:
      return dispatchList({ type: 'sort-next' });
    case Command.Reverse:
      return dispatchList({ type: 'sort-reverse' });
    case Command.Help:
      return dispatchUi({ type: 'help' });
    case Command.Errors:
      return dispatchUi({ type: 'errors' });
    case Command.Submit:
      if (env.context === 'filter') return dispatchList({ type: 'filter-keep' });
      if (env.ui.overlay.kind === 'confirm') {
        const { request, typed } = env.ui.overlay;
        if (confirmAccepted(typed, request.phrase) && request.action === 'apply') {
          dispatchList({ type: 'unmark', uuids: request.uuids });
        }
        dispatchUi({ type: 'confirm-submit' });
      }
      return;
    case Command.Erase:
      if (env.context === 'filter') return dispatchList({ type: 'filter-erase' });
      return dispatchUi({ type: 'confirm-erase' });
  }
}

export function handleInput(input: string, key: Key, getEnv: () => InputEnv): void {
  const env = getEnv();
  const name = keyName(input, key);
  const command = resolveCommand(env.context, name, env.readOnly);
  if (env.ui.notice !== null) env.dispatchUi({ type: 'notice', text: null });
  if (command !== null) return runCommand(command, env);
  if (!isPlain(key)) return;
  // Keys typed faster than a frame (or pasted) arrive as one string: take them one by one, so an
  // Enter inside a burst is an Enter and the keys after a screen change act on the new screen.
  if ([...input].length > 1) {
    for (const ch of input) handleInput(...keyOfChar(ch), getEnv);
    return;
  }
  if (TEXT_CONTEXTS.includes(env.context)) {
    const text = input.replace(CONTROL, '');
    if (text === '') return;
    if (env.context === 'filter') env.dispatchList({ type: 'filter-input', text });
    else env.dispatchUi({ type: 'confirm-input', text });
  }
}

/**
 * Routes ink's keys through the keymap. The environment is built per key from the latest state,
 * not the last render's: keys can arrive before the previous key's update has been rendered.
 * `onKey` hears of every key first (work done ahead of keys waits while they come).
 */
export function useAppInput(getEnv: () => InputEnv, onKey?: () => void): void {
  const latest = useRef({ getEnv, onKey });
  latest.current = { getEnv, onKey };
  const handler = useCallback((input: string, key: Key) => {
    latest.current.onKey?.();
    handleInput(input, key, () => latest.current.getEnv());
  }, []);
  useInput(handler);
}
