import type { CounterConfiguration, LabelValues } from 'prom-client';
import { Counter } from 'prom-client';

interface Tally<T extends string> {
  labels: LabelValues<T>;
  value: number;
  child: Counter.Internal;
}

/** Thrown when a counter is asked to go down or to add something that is not a number. */
export class CounterValueError extends Error {
  constructor(name: string, value: number) {
    super(`counter ${name} cannot be increased by ${value}`);
    this.name = 'CounterValueError';
  }
}

/**
 * A Counter for the relay's hot path. prom-client hashes and validates the labels on every
 * inc(), even through a bound child, which costs a measurable share of a proxy's CPU when it
 * runs per network read. Here a bound child adds to a plain number, and the sums are folded
 * into the counter when it is collected (on every scrape), so what /metrics shows is exact.
 */
export class TallyCounter<T extends string> extends Counter<T> {
  readonly #tallies = new Map<string, Tally<T>>();
  readonly #labelNames: readonly T[];
  readonly #metricName: string;

  constructor(configuration: CounterConfiguration<T>) {
    super({
      ...configuration,
      collect(this: Counter<T>) {
        (this as TallyCounter<T>).fold();
      },
    });
    this.#labelNames = configuration.labelNames ?? [];
    this.#metricName = configuration.name;
  }

  override labels(...values: string[]): Counter.Internal;
  override labels(labels: LabelValues<T>): Counter.Internal;
  override labels(...args: [LabelValues<T>] | string[]): Counter.Internal {
    const first = args[0];
    const byName = typeof first === 'object' ? first : undefined;
    // Called per statement on the relay's path: the key is built without temporary arrays.
    let key = '';
    for (let i = 0; i < this.#labelNames.length; i += 1) {
      const value = byName === undefined ? args[i] : byName[this.#labelNames[i] as T];
      key += `${typeof value === 'object' ? '' : String(value)}\u0000`;
    }
    return (this.#tallies.get(key) ?? this.#newTally(key, byName ?? (args as string[]))).child;
  }

  #newTally(key: string, given: LabelValues<T> | string[]): Tally<T> {
    const labels = Array.isArray(given)
      ? (Object.fromEntries(this.#labelNames.map((n, i) => [n, given[i]])) as LabelValues<T>)
      : given;
    // prom-client checks the labels once, here, and the series shows from its first use.
    // (Its inc is an instance property set in the constructor, not a prototype method.)
    this.inc(labels, 0);

    const name = this.#metricName;
    const tally: Tally<T> = {
      labels,
      value: 0,
      child: {
        inc(value = 1) {
          if (!(value >= 0) || !Number.isFinite(value)) throw new CounterValueError(name, value);
          tally.value += value;
        },
      },
    };
    this.#tallies.set(key, tally);
    return tally;
  }

  /** Adds what the children counted since the last fold to the counter's own values. */
  fold(): void {
    for (const tally of this.#tallies.values()) {
      if (tally.value === 0) continue;
      this.inc(tally.labels, tally.value);
      tally.value = 0;
    }
  }

  override reset(): void {
    // prom-client's constructor calls reset() before this class has its fields.
    if (#tallies in this) for (const tally of this.#tallies.values()) tally.value = 0;
    super.reset();
  }
}
