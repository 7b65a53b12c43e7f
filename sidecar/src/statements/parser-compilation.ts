import { setFlagsFromString } from 'node:v8';

/**
 * Keeps the WASM parser on V8's baseline compiler (Liftoff). Left to tier up, V8 recompiles
 * libpg-query's hot functions with its optimising compiler a moment after the first parses;
 * the grammar function is so large that this compilation alone peaks at about 550 MiB of
 * native memory for a second, several times the gate's own working set and over the
 * injected container's 256 MiB limit. Baseline code parses about half as fast, which the
 * parse cache absorbs.
 * V8 reads these flags when it compiles a module: this must run before libpg-query's
 * loadModule(), and it applies to every WebAssembly module of the process (the gate has no
 * other).
 */
export function keepParserOnBaselineCompiler(): void {
  // Both: without dynamic tiering V8 tiers up the whole module eagerly instead.
  setFlagsFromString('--no-wasm-tier-up');
  setFlagsFromString('--no-wasm-dynamic-tiering');
}
