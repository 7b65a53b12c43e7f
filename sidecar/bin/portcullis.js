#!/usr/bin/env node
// The portcullis CLI (approvals, replay); run `make build` (tsc --build) first.
import { main } from '../dist/src/portcullis-cli.js';

process.exitCode = await main(process.argv.slice(2));
