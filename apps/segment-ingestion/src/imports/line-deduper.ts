const DIGEST = 16;

/**
 * Exact duplicate-line detection on 16-byte digests without a database round trip: an
 * open-addressing table in one Buffer (16 bytes a slot, at most half full), growing by doubling up
 * to `maxEntries` distinct lines. Past that, memory stays where it is: `remember` answers
 * `'overflow'` and the caller checks those lines elsewhere (the database), so a file of any size
 * is exact and memory flat. The all-zero digest (an empty slot) is tracked apart.
 */
export class LineDeduper {
  private table: Buffer;
  private mask: number;
  private entries = 0;
  private zeroSeen = false;

  constructor(private readonly maxEntries: number, initialSlots = 1 << 14) {
    this.table = Buffer.alloc(initialSlots * DIGEST);
    this.mask = initialSlots - 1;
  }

  get size(): number {
    return this.entries + (this.zeroSeen ? 1 : 0);
  }

  /** `'duplicate'` if seen before, `'new'` if now remembered, `'overflow'` if new here but the table is full. */
  remember(digest: Buffer): 'duplicate' | 'new' | 'overflow' {
    if (digest.length !== DIGEST) throw new Error(`a digest is ${DIGEST} bytes`);
    if (isZero(digest)) {
      if (this.zeroSeen) return 'duplicate';
      this.zeroSeen = true;
      return 'new';
    }
    const slot = this.find(digest);
    if (slot < 0) return 'duplicate';
    if (this.entries >= this.maxEntries) return 'overflow';
    digest.copy(this.table, slot * DIGEST);
    this.entries++;
    if (this.entries * 2 > this.mask + 1) this.grow();
    return 'new';
  }

  /** -1 when the digest is in the table, else the empty slot where it belongs. */
  private find(digest: Buffer): number {
    let slot = digest.readUInt32LE(0) & this.mask;
    for (;;) {
      const at = slot * DIGEST;
      if (isZero(this.table, at)) return slot;
      if (this.table.compare(digest, 0, DIGEST, at, at + DIGEST) === 0) return -1;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Rehashes into twice the slots, copying bytes in place: no object per entry (no garbage for the GC). */
  private grow(): void {
    const old = this.table;
    const slots = (this.mask + 1) * 2;
    this.table = Buffer.alloc(slots * DIGEST);
    this.mask = slots - 1;
    for (let at = 0; at < old.length; at += DIGEST) {
      if (isZero(old, at)) continue;
      // entries are distinct: the first empty slot from the home slot is theirs
      let slot = old.readUInt32LE(at) & this.mask;
      while (!isZero(this.table, slot * DIGEST)) slot = (slot + 1) & this.mask;
      old.copy(this.table, slot * DIGEST, at, at + DIGEST);
    }
  }
}

function isZero(b: Buffer, at = 0): boolean {
  return b.readUInt32LE(at) === 0 && b.readUInt32LE(at + 4) === 0 && b.readUInt32LE(at + 8) === 0 && b.readUInt32LE(at + 12) === 0;
}
