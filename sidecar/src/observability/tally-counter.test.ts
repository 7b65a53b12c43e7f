import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { CounterValueError, TallyCounter } from './tally-counter.js';

function counter() {
  const registry = new Registry();
  const bytes = new TallyCounter({
    name: 'test_bytes_total',
    help: 'Bytes.',
    labelNames: ['data_source', 'direction'],
    registers: [registry],
  });
  return { registry, bytes };
}

describe('TallyCounter', () => {
  it('shows on every scrape exactly what bound children counted', async () => {
    const { registry, bytes } = counter();
    const up = bytes.labels('orders', 'up');
    const down = bytes.labels({ data_source: 'orders', direction: 'down' });

    up.inc(100);
    up.inc(23);
    down.inc();
    expect(await registry.metrics()).toContain(
      'test_bytes_total{data_source="orders",direction="up"} 123',
    );

    up.inc(7);
    bytes.labels('orders', 'up').inc(10);
    const text = await registry.metrics();
    expect(text).toContain('test_bytes_total{data_source="orders",direction="up"} 140');
    expect(text).toContain('test_bytes_total{data_source="orders",direction="down"} 1');
  });

  it('lists a series from the moment its child is bound', async () => {
    const { registry, bytes } = counter();

    bytes.labels('orders', 'up');

    expect(await registry.metrics()).toContain(
      'test_bytes_total{data_source="orders",direction="up"} 0',
    );
  });

  it('keeps counting through the labels-object form of inc()', async () => {
    const { registry, bytes } = counter();
    bytes.labels('orders', 'up').inc(5);

    bytes.inc({ data_source: 'orders', direction: 'up' }, 2);

    expect(await registry.metrics()).toContain(
      'test_bytes_total{data_source="orders",direction="up"} 7',
    );
  });

  it('refuses a negative or non-finite increment and unknown labels', () => {
    const { bytes } = counter();
    const up = bytes.labels('orders', 'up');

    expect(() => up.inc(-1)).toThrow(CounterValueError);
    expect(() => up.inc(Number.NaN)).toThrow(CounterValueError);
    expect(() =>
      bytes.labels({ data_source: 'orders', side: 'up' } as unknown as { data_source: string }),
    ).toThrow();
  });

  it('forgets uncollected counts on reset', async () => {
    const { registry, bytes } = counter();
    const up = bytes.labels('orders', 'up');
    up.inc(9);

    bytes.reset();
    up.inc(1);

    expect(await registry.metrics()).toContain(
      'test_bytes_total{data_source="orders",direction="up"} 1',
    );
  });
});
