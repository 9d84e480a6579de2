// The head: the memtables not yet flushed to segments — frozen ones (oldest first) and the active one.
//
// Invariants:
// - Memtables partition the WAL: each covers files [walFrom, walTo), the next one starts where the
//   previous ends, and the active one is last and open-ended. A cut (at a WAL rotation, see
//   WalWriter.rotate) freezes the active memtable and starts a new one at the same index, so nothing
//   is applied in between.
// - Frozen memtables are only read, then dropped once their segment is listed in the manifest.
// - Newer memtables win over older ones on equal (series, timestamp); the head wins over segments.

import { Memtable } from './memtable';

export class Head {
  /** Oldest first; the last one is active. */
  private tables: Memtable[];

  /**
   * `tables`: frozen memtables restored from a snapshot (oldest first), then the active one.
   * `capacity`: the room series start with in memtables this head starts (see initialCapacity).
   */
  constructor(
    tables: Memtable[],
    private readonly capacity?: () => number,
  ) {
    if (tables.length === 0 || tables[tables.length - 1].frozen) throw new Error('a head needs an active memtable last');
    this.tables = tables;
  }

  get active(): Memtable {
    return this.tables[this.tables.length - 1];
  }

  /** All memtables, oldest first (the active one last). */
  get memtables(): readonly Memtable[] {
    return this.tables;
  }

  get frozen(): readonly Memtable[] {
    return this.tables.slice(0, -1);
  }

  get samples(): number {
    let n = 0;
    for (const t of this.tables) n += t.samples;
    return n;
  }

  /** Freezes the active memtable at WAL index `walIndex` and starts a new one there. */
  cut(walIndex: number): Memtable {
    const old = this.active;
    old.freeze(walIndex);
    this.tables.push(new Memtable(walIndex, this.capacity));
    return old;
  }

  /** Drops a frozen memtable whose samples are now in a segment. */
  release(table: Memtable): void {
    if (!table.frozen) throw new Error('the active memtable can not be released');
    this.tables = this.tables.filter((t) => t !== table);
  }
}
