import type { Key } from 'ink';
import { describe, expect, it } from 'vitest';
import {
  ALL_CONTEXTS,
  activeBindings,
  Command,
  footerHints,
  KEYMAP,
  keymapMarkdown,
  keyName,
  resolveCommand,
} from '../../src/tui/keymap.js';

const none: Key = {
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

describe('keymap table', () => {
  it('names every command exactly once', () => {
    const commands = KEYMAP.map((b) => b.command);
    expect(new Set(commands).size).toBe(commands.length);
    expect(new Set(commands)).toEqual(new Set(Object.values(Command)));
  });

  it('never gives one key two meanings in the same context', () => {
    for (const context of ALL_CONTEXTS) {
      const seen = new Map<string, Command>();
      for (const b of KEYMAP.filter((x) => x.contexts.includes(context))) {
        for (const k of b.keys) {
          expect(seen.get(k), `${k} in ${context}`).toBeUndefined();
          seen.set(k, b.command);
        }
      }
    }
  });

  it('resolves keys per context', () => {
    expect(resolveCommand('list', 'q', false)).toBe(Command.Quit);
    expect(resolveCommand('detail', 'q', false)).toBe(Command.Back);
    expect(resolveCommand('list', 'esc', false)).toBe(Command.ClearFilter);
    expect(resolveCommand('confirm', 'esc', false)).toBe(Command.Cancel);
    expect(resolveCommand('list', 'space', false)).toBe(Command.Mark);
    expect(resolveCommand('list', 'G', false)).toBe(Command.Bottom);
    expect(resolveCommand('list', 'g', false)).toBe(Command.Top);
  });

  it('leaves printable keys to text fields, except the few bound there', () => {
    for (const ch of ['q', 'j', 'a', '?', '/', 'space', 's']) {
      expect(resolveCommand('filter', ch, false)).toBeNull();
      expect(resolveCommand('confirm', ch, false)).toBeNull();
    }
    expect(resolveCommand('confirm', 'enter', false)).toBe(Command.Submit);
    expect(resolveCommand('filter', 'backspace', false)).toBe(Command.Erase);
  });

  it('Ctrl-C quits from every context', () => {
    for (const context of ALL_CONTEXTS) expect(resolveCommand(context, 'ctrl+c', true)).toBe(Command.ForceQuit);
  });

  it('read-only drops the writing commands from input and from the list of bindings', () => {
    for (const cmd of [Command.Apply, Command.Undo, Command.Mark, Command.MarkAll]) {
      const b = KEYMAP.find((x) => x.command === cmd);
      expect(b?.writes).toBe(true);
      for (const k of b?.keys ?? []) expect(resolveCommand('list', k, true)).toBeNull();
    }
    expect(activeBindings(true).some((b) => b.writes)).toBe(false);
    expect(footerHints('list', true)).not.toMatch(/apply|undo|mark/);
    expect(footerHints('list', false)).toMatch(/a apply/);
  });

  it('maps what ink reports to key names', () => {
    expect(keyName('', { ...none, upArrow: true })).toBe('up');
    expect(keyName('', { ...none, return: true })).toBe('enter');
    expect(keyName('', { ...none, escape: true, meta: true })).toBe('esc');
    expect(keyName('', { ...none, tab: true, shift: true })).toBe('shift+tab');
    expect(keyName('', { ...none, delete: true })).toBe('backspace');
    expect(keyName('c', { ...none, ctrl: true })).toBe('ctrl+c');
    expect(keyName(' ', none)).toBe('space');
    expect(keyName('G', { ...none, shift: true })).toBe('G');
  });

  it('renders a Markdown table with a row per binding for the README', () => {
    const md = keymapMarkdown().split('\n');
    expect(md).toHaveLength(KEYMAP.length + 2);
    for (const b of KEYMAP) expect(md.some((l) => l.includes(b.description))).toBe(true);
    expect(md.find((l) => l.includes('repair the marked'))).toContain('not with `--read-only`');
  });
});
