/** The command line as a person types it: help for each command; one clean line for a mistake, with the word meant. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { logLevels, parseCommand } from '../../src/cli/args.js';
import { commandHelp, helpTopics } from '../../src/cli/help.js';
import { nearest } from '../../src/core/nearest.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** The message of the usage error parseCommand throws for argv. */
function refusal(argv: string[]): string {
  try {
    parseCommand(argv);
  } catch (error) {
    assert.equal((error as { exitCode?: number }).exitCode, 2, argv.join(' '));
    return (error as Error).message;
  }
  return assert.fail(`${argv.join(' ')} was accepted`);
}

test('a mistyped option or command gets one line with the one meant, and the raw parser text never shows', () => {
  assert.equal(
    refusal(['--once', '--dryrun']),
    'unknown option --dryrun (did you mean --dry-run?). Run `sso-sync --help` for the options.',
  );
  assert.match(refusal(['status', '--jsno']), /^unknown option --jsno \(did you mean --json\?\)/);
  assert.match(refusal(['stauts']), /^unknown command "stauts" \(did you mean status\?\)/);
  assert.match(refusal(['logn']), /did you mean (login|log)\?/);
  assert.equal(refusal(['--frobnicate']), 'unknown option --frobnicate. Run `sso-sync --help` for the options.');
  assert.equal(refusal(['--once', '--session']), '--session needs a value. Run `sso-sync --help` for the options.');
  assert.equal(refusal(['--once=yes']), '--once takes no value. Run `sso-sync --help` for the options.');
  assert.match(refusal(['help', 'stat']), /^there is no help on "stat" \(did you mean status\?\)/);
  for (const argv of [['--dryrun'], ['-x'], ['--once', '--session']])
    assert.doesNotMatch(refusal(argv), /To specify|'--|"--/);
});

test('help for each command: `help COMMAND`, `COMMAND --help`, and `--once --help`', () => {
  assert.deepEqual(parseCommand(['help']), { kind: 'help' });
  assert.deepEqual(parseCommand(['--help']), { kind: 'help' });
  assert.deepEqual(parseCommand(['help', 'login']), { kind: 'help', topic: 'login' });
  assert.deepEqual(parseCommand(['login', '--help']), { kind: 'help', topic: 'login' });
  assert.deepEqual(parseCommand(['service', 'install', '-h']), { kind: 'help', topic: 'service' });
  assert.deepEqual(parseCommand(['--once', '--help']), { kind: 'help', topic: 'once' });
  assert.deepEqual(parseCommand(['version']), { kind: 'version' });
  for (const topic of helpTopics) assert.match(commandHelp(topic), /^sso-sync[ :]/, topic);
  assert.match(commandHelp('once'), /--incremental/);
  assert.match(commandHelp('login'), /--device-code/);
});

test("the log levels are the same in --help, in each command's help and in the README", () => {
  const run = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
  const listed = 'trace, debug, info (default), warn, error, fatal or silent';
  assert.equal(logLevels.join(','), 'trace,debug,info,warn,error,fatal,silent');
  assert.ok(run.stdout.includes(listed), run.stdout);
  assert.ok(commandHelp('once').includes(listed));
  const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
  assert.ok(readme.includes(listed), 'the README lists the same levels');
});

test("`sso-sync help status` and `sso-sync status --help` print that command's help and exit 0", () => {
  for (const argv of [
    ['help', 'status'],
    ['status', '--help'],
  ]) {
    const run = spawnSync(process.execPath, [cli, ...argv], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^sso-sync status: how things stand/);
  }
  const typo = spawnSync(process.execPath, [cli, '--once', '--dryrun'], { encoding: 'utf8' });
  assert.equal(typo.status, 2);
  assert.equal(
    typo.stderr,
    'sso-sync: unknown option --dryrun (did you mean --dry-run?). Run `sso-sync --help` for the options.\n',
  );
});

test('nearest: a word within two edits and less than half its length, or nothing', () => {
  assert.equal(nearest('staus', ['status', 'log']), 'status');
  assert.equal(nearest('dry-rn', ['dry-run', 'json']), 'dry-run');
  assert.equal(nearest('xyz', ['status', 'log']), undefined);
  assert.equal(nearest('lg', ['log', 'login']), 'log');
});

test('init: its answers as options, the sign-in options of login, and one clean line for a mistake', () => {
  assert.deepEqual(
    parseCommand(['init', '--start-url', 'https://mycorp.awsapps.com/start', '--region', 'eu-west-1', '--no-service']),
    {
      kind: 'init',
      startUrl: 'https://mycorp.awsapps.com/start',
      region: 'eu-west-1',
      session: undefined,
      noService: true,
      deviceCode: false,
      noBrowser: false,
      timeoutSeconds: 300,
      settingsFile: undefined,
      logLevel: undefined,
    },
  );
  const withLogin = parseCommand(['init', '--session', 'mycorp', '--device-code', '--timeout', '60']);
  assert.ok(withLogin.kind === 'init' && withLogin.deviceCode && withLogin.timeoutSeconds === 60);
  assert.match(refusal(['init', '--json']), /^--json does not go with init/);
  assert.match(
    refusal(['init', '--session', 'a', '--session', 'b']),
    /^init sets up one sso-session: give --session once/,
  );
  assert.match(refusal(['init', '--start-ur', 'x']), /^unknown option --start-ur \(did you mean --start-url\?\)/);
  assert.match(refusal(['init', '--region']), /^--region needs a value/);
  assert.match(refusal(['int']), /^unknown command "int" \(did you mean init\?\)/);
  assert.match(refusal(['--once', '--region', 'eu-west-1']), /^--region does not go with --once/);
  assert.deepEqual(parseCommand(['init', '--help']), { kind: 'help', topic: 'init' });
  assert.match(commandHelp('init'), /^sso-sync init: the first run/);
});

test('credentials takes --profile (and --log-level) only; --print goes with --once and not with --dry-run', () => {
  assert.deepEqual(parseCommand(['credentials', '--profile', 'prod-admin']), {
    kind: 'credentials',
    profile: 'prod-admin',
    logLevel: undefined,
  });
  assert.match(
    refusal(['credentials']),
    /^sso-sync credentials needs the profile: `sso-sync credentials --profile NAME`/,
  );
  assert.match(refusal(['credentials', '--profile', 'p', '--session', 's']), /^--session does not go with credentials/);
  assert.match(refusal(['credentials', 'p']), /^unknown command "credentials p"/);
  assert.equal((parseCommand(['--once', '--print']) as { print?: boolean }).print, true);
  assert.match(refusal(['--once', '--print', '--dry-run']), /^--print and --dry-run both show a sync without writing/);
  assert.match(refusal(['--print']), /^--print goes with --once/);
  assert.match(commandHelp('credentials'), /^Usage: sso-sync credentials --profile NAME/m);
  assert.match(commandHelp('once'), /^ {2}--print {17}print the managed blocks the sync would write/m);
});
