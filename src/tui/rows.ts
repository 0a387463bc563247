// The list's rows, kept in uuid order in one array: a batch of new rows is merged in (O(n), an array copy),
// where a Map copied per batch cost 50 ms at 100k rows and a full sort 250 ms. Immutable: every change gives a new
// table and leaves the old one as it was. Lookups are binary searches.
import type { InstanceRow } from '../doctor/types.js';

function byUuid(a: InstanceRow, b: InstanceRow): number {
  return a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0;
}

export class RowTable implements ReadonlyMap<string, InstanceRow> {
  static readonly empty = new RowTable([]);

  /** In uuid order (code units), one per uuid. */
  private constructor(readonly rows: readonly InstanceRow[]) {}

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
    for (const row of latest.values()) {
      const i = this.find(row.uuid);
      if (i < 0) added.push(row);
      else if (this.rows[i] !== row) {
        rows ??= [...this.rows];
        rows[i] = row;
      }
    }
    const base = rows ?? this.rows;
    if (added.length === 0) return rows ? new RowTable(rows) : this;
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
