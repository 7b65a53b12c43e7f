import { expect } from '@jest/globals';
import type { SuiteTarget } from './suite-session.js';

/**
 * One case of the conformance suite: ordinary work that must behave the same directly against
 * PostgreSQL and through the gate. It returns what a client observed (rows, columns, command
 * tags, errors, notices); the conformance test runs it against both targets and compares.
 * `shape` is what the direct run must show, so a case cannot pass by failing the same way on
 * both sides.
 */
export interface SuiteCase {
  name: string;
  run: (target: SuiteTarget) => Promise<unknown>;
  shape: unknown;
  /** A difference the gate makes on purpose: both observations pass through this first. */
  byDesign?: { why: string; normalize: (observation: unknown) => unknown };
}

/** The suite table's rows, in a stable order. */
export const ITEMS = 'SELECT * FROM conformance_items ORDER BY id';

/** A result with this command tag and row count (null for tags without one, like BEGIN). */
export const result = (command: string, rowCount: number | null = null) => ({ command, rowCount });

/** A result with at least one column sent in binary format. */
export const binaryColumns = {
  fields: expect.arrayContaining([expect.objectContaining({ format: 'binary' })]),
};

/** An error with this SQLSTATE. */
export const failure = (code: string) => ({ error: { code } });
