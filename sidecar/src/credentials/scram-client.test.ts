import { describe, expect, it } from '@jest/globals';
import { ScramClient, ScramError } from './scram-client.js';

// The SCRAM-SHA-256 exchange of RFC 7677, section 3.
const RFC = {
  password: 'pencil',
  user: 'user',
  nonce: 'rOprNGfwEbeRWgbNEkqO',
  serverFirst:
    'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,' +
    'p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

function rfcClient(): ScramClient {
  return new ScramClient(RFC.password, { user: RFC.user, nonce: RFC.nonce });
}

describe('ScramClient', () => {
  it('produces the client messages of the RFC 7677 example and accepts its server proof', async () => {
    const client = rfcClient();
    expect(client.clientFirstMessage()).toBe(`n,,n=user,r=${RFC.nonce}`);
    expect(await client.clientFinalMessage(RFC.serverFirst)).toBe(RFC.clientFinal);
    expect(() => client.verifyServerFinal(RFC.serverFinal)).not.toThrow();
  });

  it('rejects a server signature that does not match', async () => {
    const client = rfcClient();
    await client.clientFinalMessage(RFC.serverFirst);
    const forged = 'v=' + Buffer.alloc(32, 7).toString('base64');
    expect(() => client.verifyServerFinal(forged)).toThrow(ScramError);
  });

  it('rejects a server nonce that does not extend the client nonce', async () => {
    const client = rfcClient();
    const other = RFC.serverFirst.replace('rOprNGfwEbeRWgbNEkqO%', 'XXprNGfwEbeRWgbNEkqO%');
    await expect(client.clientFinalMessage(other)).rejects.toThrow(/does not extend/);
  });

  it('reports a server error attribute', async () => {
    const client = rfcClient();
    await client.clientFinalMessage(RFC.serverFirst);
    expect(() => client.verifyServerFinal('e=invalid-proof')).toThrow(/invalid-proof/);
  });

  it('refuses a final message before the exchange has started', () => {
    expect(() => rfcClient().verifyServerFinal(RFC.serverFinal)).toThrow(/too early/);
  });
});
