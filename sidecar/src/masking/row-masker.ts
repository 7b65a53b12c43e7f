import { readDataRowCells } from '../wire/backend-decoders.js';
import type { MessageArena } from '../wire/message-arena.js';
import type { CellMask } from './cell-masks.js';

/** One result column as RowDescription describes it (sidecar contract). */
export interface ResultColumn {
  name: string;
  tableOid: number;
  attnum: number;
  typeOid: number;
  format: 0 | 1;
}

/** Masks the rows of one result (sidecar contract). */
export interface RowMasker {
  /** Null cells stay null; returns the row to send, with the same number of cells. */
  maskRow(cells: (Buffer | null)[]): (Buffer | null)[];
  /** False when nothing in this result needs masking: rows pass without being decoded. */
  readonly active: boolean;
  /**
   * maskRow over a whole DataRow message body, src[bodyStart, bodyEnd) (all of src by
   * default), answering the message to send, written into the arena. Optional: without it the
   * caller decodes the row and builds the message.
   */
  maskDataRow?(src: Buffer, arena: MessageArena, bodyStart?: number, bodyEnd?: number): Buffer;
}

/** How many values one rule masked. */
export interface RuleCount {
  rule: string;
  count: number;
}

/** A column the masker changes, and the rule that decided it (for recordings). */
export interface MaskedColumn {
  index: number;
  name: string;
  rule: string;
  lineage: 'plain' | 'derived' | 'detector';
}

/** One column's work, fixed when the result starts. */
export interface ColumnAction {
  index: number;
  mask: CellMask;
  /** The rule counted per masked cell; -1 for detector masks, which count their own finds. */
  rule: number;
}

/** Raised when a row does not fit its RowDescription; the session ends the result. */
export class RowShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RowShapeError';
  }
}

/**
 * Masks DataRow cells in place with per-column actions worked out once per RowDescription, so
 * a row costs one pass over the masked columns and no allocation for fixed masks.
 */
export class ResultMasker implements RowMasker {
  readonly active: boolean;
  /** Per column, for maskDataRow: where its cell starts in the body, and its length. */
  private readonly starts: Int32Array;
  private readonly lengths: Int32Array;
  /**
   * Per action, for maskDataRow: the masked cell, INLINE when the mask writes it in place
   * (its layout in layouts), undefined when the cell was NULL.
   */
  private readonly results: (Buffer | null | undefined)[];
  private readonly layouts: Int32Array;

  constructor(
    private readonly width: number,
    private actions: readonly ColumnAction[],
    private readonly labels: readonly string[],
    /** Per rule index; detector masks add to it directly. */
    private readonly counts: Uint32Array,
    /** The columns this result masks, for recordings and logs. */
    readonly masked: readonly MaskedColumn[],
  ) {
    this.active = actions.length > 0;
    this.starts = new Int32Array(width);
    this.lengths = new Int32Array(width);
    this.results = actions.map(() => undefined);
    this.layouts = new Int32Array(actions.length);
    this.actions = [...actions].sort((a, b) => a.index - b.index);
  }

  /** Masks the row in place and returns it; the caller must not reuse masked buffers. */
  maskRow(cells: (Buffer | null)[]): (Buffer | null)[] {
    if (cells.length !== this.width) {
      throw new RowShapeError(`a row of ${cells.length} cells for ${this.width} columns`);
    }
    for (const action of this.actions) {
      const cell = cells[action.index];
      if (cell === null || cell === undefined) continue;
      cells[action.index] = action.mask(cell);
      if (action.rule >= 0) this.counts[action.rule]!++;
    }
    return cells;
  }

  /**
   * Masks one DataRow body into a new DataRow message in the arena: unmasked cells are copied
   * as they came, with their length words, and masked ones written in their place. The same
   * masks and counts as maskRow; no cell is decoded but those masked.
   */
  maskDataRow(src: Buffer, arena: MessageArena, bodyStart = 0, bodyEnd = src.length): Buffer {
    const { starts, lengths, actions, results, layouts } = this;
    const count = readDataRowCells(src, bodyStart, bodyEnd, starts, lengths);
    if (count !== this.width) {
      throw new RowShapeError(`a row of ${count} cells for ${this.width} columns`);
    }
    const last = count - 1;
    const end = count === 0 ? bodyStart + 2 : starts[last]! + Math.max(0, lengths[last]!);
    let size = end - bodyStart;
    for (let k = 0; k < actions.length; k++) {
      const action = actions[k]!;
      const start = starts[action.index]!;
      const length = lengths[action.index]!;
      results[k] = undefined;
      if (length < 0) continue;
      const inline = action.mask.inline;
      if (inline !== undefined) {
        const layout = inline.layout(src, start, start + length);
        layouts[k] = layout;
        results[k] = INLINE;
        size += inline.size(layout, start, start + length) - length;
      } else {
        const masked = action.mask(src.subarray(start, start + length));
        results[k] = masked;
        size += (masked === null ? 0 : masked.length) - length;
      }
      if (action.rule >= 0) this.counts[action.rule]!++;
    }

    const out = arena.take(1 + 4 + size);
    out[0] = DATA_ROW;
    writeInt32(out, 1, 4 + size);
    let at = 5;
    let from = bodyStart;
    for (let k = 0; k < actions.length; k++) {
      const masked = results[k];
      if (masked === undefined) continue;
      const action = actions[k]!;
      const start = starts[action.index]!;
      const cellEnd = start + lengths[action.index]!;
      // Everything up to this cell's length word, as it came.
      at = copyBytes(src, from, start - 4, out, at);
      if (masked === INLINE) {
        const inline = action.mask.inline!;
        const layout = layouts[k]!;
        writeInt32(out, at, inline.size(layout, start, cellEnd));
        at = inline.write(src, start, cellEnd, layout, out, at + 4);
      } else if (masked === null) {
        writeInt32(out, at, -1);
        at += 4;
      } else {
        writeInt32(out, at, masked.length);
        at = copyBytes(masked, 0, masked.length, out, at + 4);
      }
      from = cellEnd;
      results[k] = undefined;
    }
    copyBytes(src, from, end, out, at);
    return out;
  }

  /** Values masked per rule since the last call; the caller adds them to its metrics. */
  takeCounts(): RuleCount[] {
    const out: RuleCount[] = [];
    this.counts.forEach((count, rule) => {
      if (count > 0) out.push({ rule: this.labels[rule] ?? String(rule), count });
    });
    this.counts.fill(0);
    return out;
  }
}

const DATA_ROW = 0x44; // 'D'
/** results[k] of a cell its mask writes in place. */
const INLINE = Buffer.alloc(0);
/** Shorter runs are copied byte by byte: Buffer#copy's checks cost more than such a loop. */
const SHORT_COPY = 32;

function copyBytes(src: Buffer, from: number, to: number, out: Buffer, at: number): number {
  if (to - from > SHORT_COPY) return at + src.copy(out, at, from, to);
  for (let i = from; i < to; i++) out[at++] = src[i]!;
  return at;
}

function writeInt32(out: Buffer, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
}

/** A masker that changes nothing: the session skips decoding rows for it. */
export const PASS_THROUGH: RowMasker = { active: false, maskRow: (cells) => cells };
