#!/usr/bin/env node
// The compiled gate; run `make build` (tsc --build) first.
import { main } from '../dist/src/cli.js';

process.exitCode = await main(process.argv.slice(2));
