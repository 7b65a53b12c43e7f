import { describe, expect, it } from '@jest/globals';
import { minterRoleSql } from './minter-role.js';

const credential = { username: 'minter', password: "it's secret" };

describe('minterRoleSql', () => {
  it('relies on CREATEROLE alone before PostgreSQL 16', () => {
    expect(minterRoleSql(15, credential, ['app_reader'])).toBe(
      `CREATE ROLE "minter" LOGIN CREATEROLE PASSWORD 'it''s secret';`,
    );
  });

  it('grants ADMIN OPTION without inheritance from PostgreSQL 16 on', () => {
    const sql = minterRoleSql(16, credential, ['app_reader', 'app_writer']).split('\n');
    expect(sql).toEqual([
      `CREATE ROLE "minter" LOGIN CREATEROLE PASSWORD 'it''s secret';`,
      'GRANT "app_reader" TO "minter" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;',
      'GRANT "app_writer" TO "minter" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;',
    ]);
  });
});
