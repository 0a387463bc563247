// The one keymap: input handling, the `?` overlay and the README all read this table, so a key
// cannot do one thing and be documented as another.
import type { Key } from 'ink';

export enum Command {
  Up = 'up',
  Down = 'down',
  PageUp = 'page-up',
  PageDown = 'page-down',
  Top = 'top',
  Bottom = 'bottom',
  Open = 'open',
  NextPane = 'next-pane',
  PrevPane = 'prev-pane',
  Plan = 'plan',
  Mark = 'mark',
  MarkAll = 'mark-all',
  Apply = 'apply',
  Undo = 'undo',
  Filter = 'filter',
  ClearFilter = 'clear-filter',
  Sort = 'sort',
  Reverse = 'reverse',
  Help = 'help',
  Errors = 'errors',
  Submit = 'submit',
  Cancel = 'cancel',
  Erase = 'erase',
  Back = 'back',
  Quit = 'quit',
  ForceQuit = 'force-quit',
}

/**
 * Where a binding is live. `filter` and `confirm` are text fields: there, printable keys type
 * text and only the bindings listed for them act.
 */
export type KeyContext = 'list' | 'detail' | 'help' | 'errors' | 'filter' | 'confirm' | 'running' | 'result';

export const ALL_CONTEXTS: readonly KeyContext[] = [
  'list',
  'detail',
  'help',
  'errors',
  'filter',
  'confirm',
  'running',
  'result',
];

export interface KeyBinding {
  command: Command;
  /** Key names as keyName() produces them: 'j', 'G', 'up', 'enter', 'esc', 'space', 'ctrl+c', … */
  keys: readonly string[];
  description: string;
  contexts: readonly KeyContext[];
  /** Changes the databases: hidden and inert with --read-only. */
  writes?: boolean;
  /** A word or two for the footer; bindings without one are only in the help. */
  hint?: string;
}

const MOVE: readonly KeyContext[] = ['list', 'detail', 'help', 'errors', 'result'];

/** In priority order: when two bindings share a key in one context, the first wins. */
export const KEYMAP: readonly KeyBinding[] = [
  { command: Command.ForceQuit, keys: ['ctrl+c'], description: 'quit now, from anywhere', contexts: ALL_CONTEXTS },
  { command: Command.Up, keys: ['k', 'up'], description: 'move up / scroll up', contexts: MOVE },
  { command: Command.Down, hint: 'move', keys: ['j', 'down'], description: 'move down / scroll down', contexts: MOVE },
  { command: Command.PageUp, keys: ['pageup', 'ctrl+u'], description: 'one page up', contexts: MOVE },
  { command: Command.PageDown, keys: ['pagedown', 'ctrl+d'], description: 'one page down', contexts: MOVE },
  { command: Command.Top, keys: ['g', 'home'], description: 'go to the top', contexts: MOVE },
  { command: Command.Bottom, keys: ['G', 'end'], description: 'go to the bottom', contexts: MOVE },
  {
    command: Command.Open,
    hint: 'open',
    keys: ['enter'],
    description: 'open the instance: evidence, stale values, hosts, plan',
    contexts: ['list'],
  },
  {
    command: Command.NextPane,
    hint: 'pane',
    keys: ['tab', 'right', 'l'],
    description: 'next pane',
    contexts: ['detail'],
  },
  { command: Command.PrevPane, keys: ['shift+tab', 'left', 'h'], description: 'previous pane', contexts: ['detail'] },
  {
    command: Command.Plan,
    hint: 'plan',
    keys: ['p'],
    description: 'show the repair plan: JSON Patch, row changes, spec diff',
    contexts: ['list', 'detail'],
  },
  {
    command: Command.Mark,
    hint: 'mark',
    keys: ['space'],
    description: 'mark / unmark the instance for a batch repair',
    contexts: ['list'],
    writes: true,
  },
  {
    command: Command.MarkAll,
    keys: ['*'],
    description: 'mark every listed instance that has a plan (again: clear the marks)',
    contexts: ['list'],
    writes: true,
  },
  {
    command: Command.Apply,
    hint: 'apply',
    keys: ['a'],
    description: 'repair the marked instances (or the current one), after a typed confirmation',
    contexts: ['list', 'detail'],
    writes: true,
  },
  {
    command: Command.Undo,
    hint: 'undo',
    keys: ['u'],
    description: "undo this session's last repair from its journal, after a typed confirmation",
    contexts: ['list', 'detail', 'result'],
    writes: true,
  },
  {
    command: Command.Filter,
    hint: 'filter',
    keys: ['/'],
    description: 'filter the list (uuid, name, cell, status, host, request id)',
    contexts: ['list'],
  },
  {
    command: Command.ClearFilter,
    hint: 'clear',
    keys: ['esc'],
    description: 'clear the filter',
    contexts: ['list', 'filter'],
  },
  { command: Command.Sort, hint: 'sort', keys: ['s'], description: 'cycle the sort key', contexts: ['list'] },
  { command: Command.Reverse, keys: ['S'], description: 'reverse the sort order', contexts: ['list'] },
  {
    command: Command.Help,
    hint: 'help',
    keys: ['?'],
    description: 'show / hide this help',
    contexts: ['list', 'detail', 'help'],
  },
  {
    command: Command.Errors,
    hint: 'errors',
    keys: ['e'],
    description: 'show / hide every error, scan warning and unattributed rejection',
    contexts: ['list', 'detail', 'errors'],
  },
  {
    command: Command.Submit,
    hint: 'ok',
    keys: ['enter'],
    description: 'keep the filter / confirm',
    contexts: ['filter', 'confirm'],
  },
  {
    command: Command.Cancel,
    hint: 'cancel',
    keys: ['esc'],
    description: 'cancel without changing anything',
    contexts: ['confirm'],
  },
  {
    command: Command.Erase,
    keys: ['backspace'],
    description: 'delete the last character',
    contexts: ['filter', 'confirm'],
  },
  {
    command: Command.Back,
    hint: 'back',
    keys: ['q', 'esc'],
    description: 'back out: detail → list',
    contexts: ['detail', 'help', 'errors', 'result'],
  },
  { command: Command.Quit, hint: 'quit', keys: ['q'], description: 'quit (at the list)', contexts: ['list'] },
];

/** The bindings a session offers: without the writing ones when it is read-only. */
export function activeBindings(readOnly: boolean): KeyBinding[] {
  return KEYMAP.filter((b) => !(readOnly && b.writes));
}

/** The command a key means in a context, or null (then a text field takes it as text). */
export function resolveCommand(context: KeyContext, key: string, readOnly: boolean): Command | null {
  for (const b of KEYMAP) {
    if (readOnly && b.writes) continue;
    if (b.contexts.includes(context) && b.keys.includes(key)) return b.command;
  }
  return null;
}

/** One canonical name for what ink reports, in the vocabulary of KEYMAP's `keys`. */
export function keyName(input: string, key: Key): string {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.return) return 'enter';
  if (key.escape) return 'esc';
  if (key.tab) return key.shift ? 'shift+tab' : 'tab';
  // Terminals send DEL (0x7f) for the Backspace key; ink calls that 'delete'.
  if (key.backspace || key.delete) return 'backspace';
  if (key.ctrl && input.length === 1) return `ctrl+${input.toLowerCase()}`;
  if (input === ' ') return 'space';
  return input;
}

const LABELS: Record<string, string> = {
  up: '↑',
  down: '↓',
  left: '←',
  right: '→',
  pageup: 'PgUp',
  pagedown: 'PgDn',
  home: 'Home',
  end: 'End',
  enter: 'Enter',
  esc: 'Esc',
  tab: 'Tab',
  'shift+tab': 'Shift-Tab',
  space: 'Space',
  backspace: 'Backspace',
};

export function keyLabel(key: string): string {
  const label = LABELS[key];
  if (label) return label;
  if (key.startsWith('ctrl+')) return `Ctrl-${key.slice(5).toUpperCase()}`;
  return key;
}

export function keysLabel(binding: KeyBinding): string {
  return binding.keys.map(keyLabel).join(' / ');
}

const CONTEXT_WORDS: Record<KeyContext, string> = {
  list: 'list',
  detail: 'detail',
  help: 'help',
  errors: 'errors',
  filter: 'filter field',
  confirm: 'confirmation',
  running: 'while applying',
  result: 'results',
};

export function contextsLabel(binding: KeyBinding): string {
  if (binding.contexts.length === ALL_CONTEXTS.length) return 'everywhere';
  return binding.contexts.map((c) => CONTEXT_WORDS[c]).join(', ');
}

/** The keymap as a Markdown table, for the README. */
export function keymapMarkdown(): string {
  const rows = KEYMAP.map((b) => {
    const keys = b.keys.map((k) => `\`${keyLabel(k)}\``).join(' ');
    const note = b.writes ? ' (not with `--read-only`)' : '';
    return `| ${keys} | ${b.description}${note} | ${contextsLabel(b)} |`;
  });
  return ['| keys | does | where |', '|---|---|---|', ...rows].join('\n');
}

/** The footer's short key list for a context, from the same table. */
export function footerHints(context: KeyContext, readOnly: boolean, skip: readonly Command[] = []): string {
  return activeBindings(readOnly)
    .filter((b) => b.hint && b.contexts.includes(context) && !skip.includes(b.command))
    .map((b) => `${b.command === Command.Down ? 'j/k' : keyLabel(b.keys[0] ?? '')} ${b.hint}`)
    .join(' · ');
}
