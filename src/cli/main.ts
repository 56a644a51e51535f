#!/usr/bin/env node
/**
 * The command's entry: the daemon's process first turns V8's compiling tiers off (daemon-tiers.ts), before any of
 * the command's modules load; then the command line is read and run (cli.ts).
 */
import { idleTiers, runsDaemon } from './daemon-tiers.js';

if (runsDaemon(process.argv.slice(2))) idleTiers();
await import('./cli.js');
