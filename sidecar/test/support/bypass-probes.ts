import type { PostgresServer } from '@portcullis/testkit';
import { parseAllDocuments, stringify } from 'yaml';
import { bypassPolicy } from '../../src/statements/bypass-corpus.js';
import {
  readCommandComplete,
  readDataRow,
  readErrorFields,
} from '../../src/wire/backend-decoders.js';
import { BackendCode, StartupCode } from '../../src/wire/message-codes.js';
import { MessageWriter } from '../../src/wire/message-writer.js';
import type { Upstream } from './gate-fixture.js';
import { leakForms } from './masking-leaks.js';
import { testManifests } from './manifests.js';
import { RawClient } from './raw-client.js';

// What the bypass corpus test checks its attempts with: the policy it runs, the state a refused
// attempt must leave alone, the spellings of secret values, raw sessions for protocol tricks.

/** The test manifests with the corpus policy's guardrails on the AccessPolicy. */
export function corpusManifests(on: Upstream): string {
  const { guardrails, grant } = bypassPolicy().spec;
  const docs = parseAllDocuments(testManifests({ server: on.server, minter: on.minter }));
  return docs
    .map((doc) => doc.toJS() as { kind: string; spec: Record<string, unknown> })
    .map((doc) => {
      if (doc.kind === 'AccessPolicy') {
        doc.spec.guardrails = guardrails;
        doc.spec.grant = { ...(doc.spec.grant as object), role: grant.role };
      }
      return stringify(doc);
    })
    .join('---\n');
}

/** What the superuser sees of the sample data and roles; a refused attempt changes none of it. */
export function fingerprint(server: PostgresServer): Promise<string> {
  return server.sql(
    `SELECT md5(string_agg(o::text, ',' ORDER BY o.id)) FROM orders o;
     SELECT md5(string_agg(c::text, ',' ORDER BY c.id)) FROM customers c;
     SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class
       WHERE relnamespace = 'public'::regnamespace;
     SELECT string_agg(rolname || rolsuper, ',' ORDER BY rolname) FROM pg_roles
       WHERE rolname NOT LIKE 'pc\\_%';
     SELECT count(*) FROM pg_rewrite WHERE rulename LIKE 'bypass%'`,
    'app',
  );
}

/** Every spelling of every classified value in the sample data. */
export async function secretForms(server: PostgresServer): Promise<string[]> {
  const out = await server.sql('SELECT email, card_number FROM customers', 'app');
  return out
    .trim()
    .split('\n')
    .flatMap((line) => line.split('|'))
    .flatMap(leakForms);
}

/** The secret forms found anywhere in what a client observed (rows, errors, notices). */
export function leaked(observed: unknown, forms: string[]): string[] {
  const text = JSON.stringify(observed);
  return forms.filter((form) => text.includes(form));
}

/** SQL text in a client encoding; only the characters the corpus uses outside ASCII. */
export function encoded(sql: string, encoding: string | undefined): Buffer {
  if (encoding === undefined) return Buffer.from(sql, 'utf8');
  const table: Record<string, Record<string, number[]>> = { SJIS: { '\u8868': [0x95, 0x5c] } };
  const bytes = [...sql].flatMap((char) => {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x80) return [code];
    const mapped = table[encoding]?.[char];
    if (mapped === undefined) throw new Error(`no ${encoding} bytes for ${char} in this test`);
    return mapped;
  });
  return Buffer.from(bytes);
}

/** A raw session through the gate on port, logged in; fails if the gate refuses it. */
export async function rawSession(
  port: number,
  parameters: Record<string, string> = {},
): Promise<RawClient> {
  const raw = await RawClient.connect(port);
  const startup = new MessageWriter().int32(StartupCode.protocol3);
  for (const [name, value] of Object.entries({ user: 'app', database: 'app', ...parameters })) {
    startup.cstring(name).cstring(value);
  }
  raw.send(startup.byte(0).build());
  await raw.until(BackendCode.readyForQuery);
  return raw;
}

/** Sends bytes and reads to the next ReadyForQuery: the error codes and command tags seen. */
export async function exchange(raw: RawClient, ...messages: Buffer[]): Promise<string[]> {
  raw.send(Buffer.concat(messages));
  const frames = await raw.until(BackendCode.readyForQuery);
  return frames.flatMap((frame) => {
    if (frame.code === BackendCode.errorResponse) return [readErrorFields(frame.body).code];
    if (frame.code === BackendCode.commandComplete) return [readCommandComplete(frame.body)];
    if (frame.code === BackendCode.dataRow) return readDataRow(frame.body).map(String);
    return [];
  });
}
