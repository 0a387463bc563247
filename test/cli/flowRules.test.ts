// The doctor's small rules the faces print as they are: the undo command, where journals go, a cell's note.
import { describe, expect, it } from 'vitest';
import type { CellStatus } from '../../src/db/types.js';
import { cellNotes } from '../../src/doctor/flow.js';
import { undoCommand } from '../../src/doctor/journalCommands.js';
import { defaultJournalPath } from '../../src/doctor/repair.js';

describe('undoCommand', () => {
  it('carries the database options the repair ran with, quoted for a shell, passwords masked', () => {
    const db = {
      configFiles: ['/etc/nova/nova.conf', '/tmp/my dir/extra.conf'],
      configDirs: [],
      apiDbUrl: null,
      cellDbUrls: [],
    };
    expect(undoCommand(db, '/var/lib/j.jsonl')).toBe(
      "nova-doctor undo --config /etc/nova/nova.conf --config '/tmp/my dir/extra.conf' --journal /var/lib/j.jsonl --apply",
    );
    const url = undoCommand(
      { configFiles: [], configDirs: [], apiDbUrl: 'mysql+pymysql://nova:s3cret@db/nova_api', cellDbUrls: [] },
      '/j',
    );
    expect(url).toContain('--api-db');
    expect(url).not.toContain('s3cret');
  });
});

describe('defaultJournalPath', () => {
  it("goes into the session's own directory when it has one (the demo), else under XDG_STATE_HOME", () => {
    expect(defaultJournalPath('/tmp/demo-xyz')).toMatch(/^\/tmp\/demo-xyz\/repair-[^/]+\.jsonl$/);
    expect(defaultJournalPath()).toMatch(/nova-doctor\/repair-[^/]+\.jsonl$/);
  });
});

describe('cellNotes', () => {
  const cell = (over: Partial<CellStatus>): CellStatus => ({
    uuid: 'u',
    name: 'c',
    maskedUrl: 'mysql+pymysql://nova:***@db/nova_c',
    disabled: false,
    isCell0: false,
    reachable: false,
    error:
      "cell database c (2bc7) mysql+pymysql://nova:***@127.0.0.1:40019/nova_cell3?charset=utf8: database 'nova_cell3' does not exist on 127.0.0.1:40019; check nova_api.cell_mappings.database_connection of c",
    ...over,
  });

  it("a disabled cell's note is one short line with the reason alone; a traced cell's keeps the whole error", () => {
    const [disabled] = cellNotes([cell({ disabled: true, name: 'cell3-retired' })]);
    expect(disabled).toBe(
      "disabled cell cell3-retired not traced: database 'nova_cell3' does not exist on 127.0.0.1:40019",
    );
    const [traced] = cellNotes([cell({})]);
    expect(traced).toMatch(/^cell c unreachable, its instances were skipped: cell database c .*check nova_api/);
    expect(cellNotes([cell({ reachable: true, error: null })])).toEqual([]);
  });
});
