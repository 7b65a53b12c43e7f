#!/usr/bin/env node
// kubectl plugin: `kubectl portcullis list|approve|deny`. Run `npm run build` first.
import { main } from '../dist/src/approvals/kubectl-plugin.js';

process.exitCode = await main(process.argv.slice(2));
