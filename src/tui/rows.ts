// The list's rows, kept in uuid order in one array: a batch of new rows is merged in (O(n), an array copy),
// where a Map copied per batch cost 50 ms at 100k rows and a full sort 250 ms. Immutable: every change gives a new
// table and leaves the old one as it was. Lookups are binary searches.
// A table that only replaced rows of another (a detail read again, a repair's rows) says which: what is derived
// from every row (the sort orders, the search text) is then patched where those rows are instead of made again.
import type { InstanceRow } from '../doctor/types.js';

/** Which rows of `table` a newer table put others in place of (same uuids, same indices, nothing added). */
export interface Replacement {
  table: RowTable;
  /** Indices, ascending. */
  replaced: readonly number[];
}

function byUuid(a: InstanceRow, b: InstanceRow): number {
  return a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0;
}

export class RowTable implements ReadonlyMap<string, InstanceRow> {
  static readonly empty = new RowTable([]);

  /**
   * In uuid order (code units), one per uuid. `base` is held weakly: a chain of replacements must not keep every
   * older table (and what was derived from it) alive; once it has gone, derived data is made afresh.
   */
  private constructor(
    readonly rows: readonly InstanceRow[],
    private readonly base: { table: WeakRef<RowTable>; replaced: readonly number[] } | null = null,
  ) {}

  /** The table this one was made from by replacing rows only, while it is still in memory; else null. */
  replacementOf(): Replacement | null {
    const table = this.base?.table.deref();
    return table && this.base ? { table, replaced: this.base.replaced } : null;
  }

  static of(rows: Iterable<InstanceRow>): RowTable {
    return RowTable.empty.with([...rows]);
  }

  get size(): number {
    return this.rows.length;
  }

  /** Where `uuid` is, or -(insertion point) - 1. */
  private find(uuid: string): number {
    let lo = 0;
    let hi = this.rows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = (this.rows[mid] as InstanceRow).uuid;
      if (at < uuid) lo = mid + 1;
      else if (at > uuid) hi = mid - 1;
      else return mid;
    }
    return -lo - 1;
  }

  /** Where `uuid`'s row is in `rows`, or -1. */
  indexOf(uuid: string): number {
    return Math.max(-1, this.find(uuid));
  }

  get(uuid: string): InstanceRow | undefined {
    const i = this.find(uuid);
    return i >= 0 ? this.rows[i] : undefined;
  }

  has(uuid: string): boolean {
    return this.find(uuid) >= 0;
  }

  /** This table with `updates` added or put in place of the rows with their uuid (the last one of a uuid wins). */
  with(updates: readonly InstanceRow[]): RowTable {
    if (updates.length === 0) return this;
    // Rows already in place (start() resolves with every row its events brought) change nothing.
    const changed = updates.filter((row) => this.rows[this.find(row.uuid)] !== row);
    if (changed.length === 0) return this;
    const latest = new Map<string, InstanceRow>();
    for (const row of changed) latest.set(row.uuid, row);
    let rows: InstanceRow[] | null = null;
    const added: InstanceRow[] = [];
    const replaced: number[] = [];
    for (const row of latest.values()) {
      const i = this.find(row.uuid);
      if (i < 0) added.push(row);
      else if (this.rows[i] !== row) {
        rows ??= [...this.rows];
        rows[i] = row;
        replaced.push(i);
      }
    }
    const base = rows ?? this.rows;
    if (added.length === 0) {
      if (!rows) return this;
      return new RowTable(rows, { table: new WeakRef(this), replaced: replaced.sort((a, b) => a - b) });
    }
    added.sort(byUuid);
    const merged: InstanceRow[] = new Array(base.length + added.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < base.length && j < added.length) {
      const a = base[i] as InstanceRow;
      const b = added[j] as InstanceRow;
      if (a.uuid < b.uuid) {
        merged[k++] = a;
        i++;
      } else {
        merged[k++] = b;
        j++;
      }
    }
    while (i < base.length) merged[k++] = base[i++] as InstanceRow;
    while (j < added.length) merged[k++] = added[j++] as InstanceRow;
    return new RowTable(merged);
  }

  values(): MapIterator<InstanceRow> {
    return this.rows.values();
  }

  *keys(): MapIterator<string> {
    for (const row of this.rows) yield row.uuid;
  }

  *entries(): MapIterator<[string, InstanceRow]> {
    for (const row of this.rows) yield [row.uuid, row];
  }

  [Symbol.iterator](): MapIterator<[string, InstanceRow]> {
    return this.entries();
  }

  forEach(fn: (value: InstanceRow, key: string, map: ReadonlyMap<string, InstanceRow>) => void): void {
    for (const row of this.rows) fn(row, row.uuid, this);
  }
}
