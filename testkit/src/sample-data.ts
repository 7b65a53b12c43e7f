import type { PostgresServer } from './postgres-server.js';
import { quoteIdentifier } from './sql-text.js';

/** The roles the sample schema grants, for DataSource grantableRoles and policy grants. */
export const SAMPLE_ROLES = { reader: 'app_reader', writer: 'app_writer' } as const;

/**
 * Customers with emails and card numbers, and their orders; `app_reader` may read both and
 * `app_writer` may also write. Card numbers are Luhn-valid test numbers, not real cards.
 */
export const SAMPLE_SCHEMA_SQL = `
CREATE ROLE app_reader NOLOGIN;
CREATE ROLE app_writer NOLOGIN IN ROLE app_reader;

CREATE TABLE public.customers (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text NOT NULL,
  email       text NOT NULL UNIQUE,
  card_number text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE public.orders (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES public.customers (id),
  amount      numeric(10, 2) NOT NULL,
  status      text NOT NULL DEFAULT 'new'
);

INSERT INTO public.customers (name, email, card_number) VALUES
  ('Ada Lovelace',   'ada@example.com',    '4111111111111111'),
  ('Alan Turing',    'alan@example.org',   '5500005555555559'),
  ('Grace Hopper',   'grace@example.net',  '340000000000009'),
  ('Edsger Dijkstra','edsger@example.com', '6011000000000004'),
  ('Barbara Liskov', 'barbara@example.org','4012888888881881');
INSERT INTO public.orders (customer_id, amount, status)
  SELECT 1 + (n % 5), (n * 7 % 1000) / 10.0, CASE WHEN n % 3 = 0 THEN 'shipped' ELSE 'new' END
  FROM generate_series(1, 20) AS n;

GRANT USAGE ON SCHEMA public TO app_reader;
GRANT SELECT ON public.customers, public.orders TO app_reader;
GRANT INSERT, UPDATE, DELETE ON public.customers, public.orders TO app_writer;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO app_writer;
`;

/** Creates database (if it is not `postgres`) with the sample schema and rows in it. */
export async function loadSampleData(server: PostgresServer, database = 'app'): Promise<void> {
  if (database !== 'postgres') await server.sql(`CREATE DATABASE ${quoteIdentifier(database)}`);
  await server.sql(SAMPLE_SCHEMA_SQL, database);
}
