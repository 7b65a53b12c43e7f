import { startPostgres, type PostgresServer } from '@portcullis/testkit';
import { STREAM_TABLE, streamTableSql } from '../src/stream-runner.js';

// The streaming table as the bench makes it, on a real PostgreSQL: past 271,183 rows the card
// number's arithmetic leaves int4, so the row count here goes beyond that.
const ROWS = 300_000;

let server: PostgresServer;

beforeAll(async () => {
  server = await startPostgres();
  await server.sql('CREATE DATABASE bench');
  await server.sql(streamTableSql(ROWS), 'bench');
}, 120_000);

afterAll(() => server?.stop());

/** The Luhn check, written out here so that it does not share the SQL's reasoning. */
function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

describe('the streaming table', () => {
  it('holds the rows asked for, with distinct emails and card numbers', async () => {
    const counts = await server.sql(
      `SELECT count(*), count(DISTINCT email), count(DISTINCT card_number) FROM ${STREAM_TABLE}`,
      'bench',
    );
    expect(counts.trim()).toBe(`${ROWS}|${ROWS}|${ROWS}`);
  });

  it('gives every row a 16-digit, Luhn-valid card number', async () => {
    const cards = (await server.sql(`SELECT card_number FROM ${STREAM_TABLE}`, 'bench'))
      .trim()
      .split('\n');
    expect(cards).toHaveLength(ROWS);
    const bad = cards.filter((card) => !/^4\d{15}$/.test(card) || !luhnValid(card));
    expect(bad).toEqual([]);
  });
});
