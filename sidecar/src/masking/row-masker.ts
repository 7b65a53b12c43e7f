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

  constructor(
    private readonly width: number,
    private readonly actions: readonly ColumnAction[],
    private readonly labels: readonly string[],
    /** Per rule index; detector masks add to it directly. */
    private readonly counts: Uint32Array,
    /** The columns this result masks, for recordings and logs. */
    readonly masked: readonly MaskedColumn[],
  ) {
    this.active = actions.length > 0;
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

/** A masker that changes nothing: the session skips decoding rows for it. */
export const PASS_THROUGH: RowMasker = { active: false, maskRow: (cells) => cells };
