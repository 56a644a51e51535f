#!/usr/bin/env node
/**
 * The command's entry. A daemon's command line (daemon-tiers.ts) turns V8's compiling tiers off, before any of the
 * daemon's modules load, and runs the daemon from its own build (daemon-command.ts); any other is read and run by
 * cli.ts.
 */
import { idleTiers, runsDaemon } from './daemon-tiers.js';

const args = process.argv.slice(2);
if (runsDaemon(args)) {
  idleTiers();
  const { daemonMain } = await import('./daemon-command.js');
  daemonMain(args);
} else {
  await import('./cli.js');
}
