/**
 * The entry's early look at the command line (daemon-tiers.ts): it says "the daemon" only for lines the parser
 * reads as the daemon, and for every daemon line the README and the service units give.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseCommand } from '../../src/cli/args.js';
import { runsDaemon } from '../../src/cli/daemon-tiers.js';

const kindOf = (args: string[]) => {
  try {
    return parseCommand(args).kind;
  } catch {
    return 'refused';
  }
};

test('the daemon lines of the README and the service units are recognised before parsing', () => {
  for (const args of [
    [],
    ['--log-level', 'debug'],
    ['--settings', '/home/me/.config/sso-sync/settings.yaml'],
    ['--settings=/tmp/s.yaml', '--log-level=warn'],
  ]) {
    assert.equal(kindOf(args), 'daemon', args.join(' '));
    assert.equal(runsDaemon(args), true, args.join(' '));
  }
  for (const args of [['--once'], ['status'], ['--settings'], ['--log-level', 'debug', '--once'], ['--help']])
    assert.equal(runsDaemon(args), false, args.join(' '));
});

test('any command line taken for the daemon before parsing is the daemon to the parser, or refused by it', () => {
  const word = fc.constantFrom(
    '--settings',
    '--log-level',
    '--settings=a.yaml',
    '--log-level=info',
    'debug',
    'a.yaml',
    '--once',
    '--dry-run',
    'status',
    'log',
    '-h',
    '--help',
    '--version',
    '--json',
    '--',
    '',
  );
  fc.assert(
    fc.property(fc.array(word, { maxLength: 6 }), (args) => {
      // Refused: a bad value (`--log-level log`), which the daemon says in one line as it starts; never another
      // command, which would then run with V8's compiling tiers off.
      if (runsDaemon(args)) assert.ok(['daemon', 'refused'].includes(kindOf(args)), JSON.stringify(args));
    }),
    { numRuns: 2000 },
  );
});
