import { ERROR_CASES } from './suite-cases/errors.js';
import { QUERY_CASES } from './suite-cases/queries.js';
import { TRANSACTION_CASES } from './suite-cases/transactions.js';
import { WIRE_PROTOCOL_CASES } from './suite-cases/wire-protocol.js';
import type { SuiteCase } from './suite-case.js';

export type { SuiteCase } from './suite-case.js';

/** Created once by the owner (superuser) in the sample database, beside the sample schema. */
export const SUITE_SETUP_SQL = `
CREATE TABLE public.conformance_items (
  id     int PRIMARY KEY,
  label  text NOT NULL UNIQUE,
  amount numeric(12, 3),
  data   bytea,
  at     timestamptz,
  doc    json,
  tags   text[]
);
GRANT SELECT ON public.conformance_items TO app_reader;
GRANT INSERT, UPDATE, DELETE ON public.conformance_items TO app_writer;
CREATE FUNCTION public.conformance_notice(message text) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE 'notice: %', message USING DETAIL = 'about ' || message, HINT = 'nothing to do';
  RAISE WARNING 'warning: %', message;
  RETURN length(message);
END $$;
`;

/** Run by the owner before every case on every target: the same rows each time. */
export const SUITE_RESET_SQL = `
TRUNCATE public.conformance_items;
INSERT INTO public.conformance_items VALUES
  (1, 'one', 1.5, '\\x00ff10', '2024-01-02 03:04:05+00', '{"a": 1}', '{x,y}'),
  (2, 'two', NULL, NULL, NULL, NULL, NULL),
  (3, 'three', -3.25, '\\xdeadbeef', '1999-12-31 23:59:59.999999+00', '[1, "two", null]', '{}');
`;

/**
 * The shared suite, run directly against PostgreSQL and through the gate (see SuiteCase). The
 * database needs SUITE_SETUP_SQL once and SUITE_RESET_SQL before every case on every target.
 */
export const QUERY_SUITE: readonly SuiteCase[] = [
  ...QUERY_CASES,
  ...TRANSACTION_CASES,
  ...ERROR_CASES,
  ...WIRE_PROTOCOL_CASES,
];
