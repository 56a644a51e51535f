/**
 * Shell completion as a shell runs it: the bash script loaded into bash and asked through COMP_WORDS, the zsh
 * script through zsh's own bashcompinit, the fish script through `complete -C`. Session names come from the real
 * `sso-sync completion sessions`, on the PATH as an installed sso-sync would be.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { parseCommand } from '../../src/cli/args.js';
import { completionScript } from '../../src/cli/completion.js';
import { cliPath } from '../helpers/sandbox.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Whether a shell is installed; CI installs zsh and fish, so there a missing one fails instead of skipping. */
function has(shell: string): boolean {
  const found = spawnSync(shell, ['-c', 'exit 0']).status === 0;
  if (!found && process.env.CI === 'true') assert.fail(`${shell} is not installed; .ci/run installs it`);
  return found;
}

/** A HOME with two sso-sessions in its config, a settings file adding a third, and sso-sync on the PATH. */
function box(t: TestContext): { env: NodeJS.ProcessEnv; settings: string } {
  const home = tempDir(t, 'sso-sync-completion-');
  mkdirSync(path.join(home, '.aws'));
  writeFileSync(
    path.join(home, '.aws', 'config'),
    '[sso-session alpha]\nsso_start_url = https://alpha.awsapps.com/start\nsso_region = us-east-1\n\n' +
      '[sso-session beta]\nsso_start_url = https://beta.awsapps.com/start\nsso_region = eu-west-1\n',
  );
  const settings = path.join(home, 'other.yaml');
  writeFileSync(
    settings,
    'sessions:\n  gamma:\n    start_url: https://gamma.awsapps.com/start\n    region: eu-central-1\n',
  );
  const bin = path.join(home, 'bin');
  mkdirSync(bin);
  const launcher = path.join(bin, 'sso-sync');
  writeFileSync(launcher, `#!/bin/sh\nexec '${process.execPath}' '${cliPath}' "$@"\n`);
  chmodSync(launcher, 0o755);
  const env = {
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_STATE_HOME: path.join(home, '.state'),
  };
  return { env, settings };
}

/** What bash offers for `words`, the last one being the word under the cursor. */
function bash(env: NodeJS.ProcessEnv, words: string[]): string[] {
  const script = [
    'source <(sso-sync completion bash)',
    `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    '_sso_sync',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const run = spawnSync('bash', ['-c', script], { env, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, '');
  return run.stdout.split('\n').filter(Boolean).sort();
}

test('bash completes commands, options, option values and session names', (t) => {
  const { env, settings } = box(t);
  assert.deepEqual(bash(env, ['sso-sync', '']), [
    'completion',
    'credentials',
    'help',
    'init',
    'log',
    'login',
    'service',
    'status',
    'version',
  ]);
  assert.deepEqual(bash(env, ['sso-sync', 'init', '--re']), ['--region']);
  assert.deepEqual(bash(env, ['sso-sync', 'init', '--region', 'eu-west-']), ['eu-west-1', 'eu-west-2', 'eu-west-3']);
  // A value after --start-url is not taken for a command.
  assert.deepEqual(bash(env, ['sso-sync', 'init', '--start-url', 'https://x.awsapps.com/start', '--no-s']), [
    '--no-service',
  ]);
  assert.deepEqual(bash(env, ['sso-sync', 'credentials', '--']), ['--help', '--log-level', '--profile']);
  assert.deepEqual(bash(env, ['sso-sync', '--once', '--p']), ['--print']);
  assert.deepEqual(bash(env, ['sso-sync', 'lo']), ['log', 'login']);
  assert.deepEqual(bash(env, ['sso-sync', '--once', '--d']), ['--dry-run']);
  assert.deepEqual(bash(env, ['sso-sync', 'status', '--']), ['--help', '--json', '--settings']);
  assert.deepEqual(bash(env, ['sso-sync', '--log-level', 'w']), ['warn']);
  assert.deepEqual(bash(env, ['sso-sync', 'service', '']), ['install', 'status', 'uninstall']);
  assert.deepEqual(bash(env, ['sso-sync', 'service', 'install', '--']), ['--dry-run', '--help']);
  assert.deepEqual(bash(env, ['sso-sync', 'completion', '']), ['bash', 'fish', 'zsh']);
  assert.deepEqual(bash(env, ['sso-sync', 'help', 'comp']), ['completion']);
  // Session names: the config's, and with --settings on the line, that file's as well.
  assert.deepEqual(bash(env, ['sso-sync', 'login', '--session', '']), ['alpha', 'beta']);
  assert.deepEqual(bash(env, ['sso-sync', '--once', '--session', 'b']), ['beta']);
  assert.deepEqual(bash(env, ['sso-sync', '--once', '--settings', settings, '--session', '']), [
    'alpha',
    'beta',
    'gamma',
  ]);
  // A value being typed is not taken for a command: `--log-level warn` then options of the daemon.
  assert.deepEqual(bash(env, ['sso-sync', '--log-level', 'warn', '--on']), ['--once']);
});

test('bash offers no session and says nothing when the config cannot be read', (t) => {
  const { env } = box(t);
  const missing = { ...env, AWS_CONFIG_FILE: path.join(String(env.HOME), 'nowhere', 'config') };
  assert.deepEqual(bash(missing, ['sso-sync', 'login', '--session', '']), []);
});

test('every option a script offers is one the parser takes after that command', () => {
  const script = completionScript('bash');
  const cases = [...script.matchAll(/^ {4}('?[\w']*'?)\) opts="([^"]*)" ;;$/gm)];
  assert.ok(cases.length >= 5, 'the bash script lists options per command');
  const argvOf: Record<string, string[]> = {
    "''": ['--once'],
    login: ['login'],
    init: ['init'],
    status: ['status'],
    log: ['log'],
    service: ['service', 'status'],
    credentials: ['credentials', '--profile', 'p'],
  };
  for (const [, command, opts] of cases) {
    const argv = argvOf[command!];
    if (argv === undefined) continue;
    for (const option of opts!.split(' ').filter((o) => o && o !== '--help' && o !== '--version')) {
      const valued = [
        '--session',
        '--settings',
        '--log-level',
        '--timeout',
        '--since',
        '--start-url',
        '--region',
        '--profile',
      ];
      const value = { '--log-level': 'info', '--timeout': '5', '--region': 'eu-west-1' }[option] ?? 'x';
      assert.doesNotThrow(
        () => parseCommand([...argv, option, ...(valued.includes(option) ? [value] : [])]),
        `${option} after ${argv.join(' ')}`,
      );
    }
  }
});

test('zsh loads the script through bashcompinit and gets the same answers', (t) => {
  if (!has('zsh')) {
    t.skip('zsh is not installed here (CI installs it)');
    return;
  }
  const { env } = box(t);
  const ask = (words: string[]) => {
    const script = [
      'autoload -U compinit && compinit -u -D',
      'source <(sso-sync completion zsh)',
      'print -r -- "registered: ${_comps[sso-sync]}"',
      `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
      `COMP_CWORD=${words.length - 1}`,
      `compgen -F _sso_sync -- '${words.at(-1) ?? ''}'`,
    ].join('\n');
    const run = spawnSync('zsh', ['-f', '-c', script], { env, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stderr, '');
    const [registered, ...offered] = run.stdout.split('\n').filter(Boolean);
    assert.equal(registered, 'registered: _bash_complete -F _sso_sync');
    return offered.sort();
  };
  // zsh's compgen offers every candidate and lets zsh's own matching filter by what is typed.
  assert.deepEqual(ask(['sso-sync', 'login', '--session', '']), ['alpha', 'beta']);
  assert.deepEqual(ask(['sso-sync', 'service', '']), ['install', 'status', 'uninstall']);
  assert.deepEqual(ask(['sso-sync', '--log-level', '']), [
    'debug',
    'error',
    'fatal',
    'info',
    'silent',
    'trace',
    'warn',
  ]);
});

test('fish completes through `complete -C` as it would at the prompt', (t) => {
  if (!has('fish')) {
    t.skip('fish is not installed here (CI installs it)');
    return;
  }
  const { env, settings } = box(t);
  const ask = (line: string) => {
    const script = `sso-sync completion fish | source; complete -C '${line}'`;
    const run = spawnSync('fish', ['--no-config', '-c', script], { env, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stderr, '');
    return run.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t')[0])
      .sort();
  };
  assert.deepEqual(ask('sso-sync lo'), ['log', 'login']);
  assert.deepEqual(ask('sso-sync in'), ['init']);
  assert.deepEqual(ask('sso-sync init --region us-east-'), ['us-east-1', 'us-east-2']);
  assert.deepEqual(ask('sso-sync service '), ['install', 'status', 'uninstall']);
  assert.deepEqual(ask('sso-sync status --'), ['--help', '--json', '--settings']);
  assert.deepEqual(ask('sso-sync --log-level w'), ['warn']);
  assert.deepEqual(ask('sso-sync login --session '), ['alpha', 'beta']);
  assert.deepEqual(ask(`sso-sync --once --settings ${settings} --session `), ['alpha', 'beta', 'gamma']);
});
