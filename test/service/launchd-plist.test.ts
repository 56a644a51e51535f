import assert from 'node:assert/strict';
import { errorCode } from '../../src/errors.js';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SsoSyncError } from '../../src/errors.js';
import { launchdLabel, readServiceTemplate, renderLaunchdPlist, servicePlan } from '../../src/service/index.js';
import { unitNodeOptions } from './node-options.js';

/** Parses a property list with Python's plistlib (a real parser, the one python3 ships) and returns it as JSON. */
function parsePlist(text: string): Record<string, unknown> {
  const script = 'import json, plistlib, sys\nprint(json.dumps(plistlib.loads(sys.stdin.buffer.read())))';
  const result = spawnSync('python3', ['-c', script], { input: text, encoding: 'utf8' });
  if (errorCode(result.error) === 'ENOENT') {
    throw new Error(
      'python3 is needed to parse the property list and is not installed. On Debian or Ubuntu: apt-get install python3',
    );
  }
  assert.equal(result.status, 0, `plistlib refused the property list:\n${result.stderr}\n${text}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

test('the agent parses as a property list with the keys launchd needs, every path intact', async () => {
  const home = `/Users/ann & bob <dev> "q" 'x' %h $HOME`;
  const nodePath = '/opt/homebrew/Cellar/node 24/bin/node';
  const cliPath = `/Users/ann & bob <dev> "q" 'x' %h $HOME/lib/node_modules/sso-sync/dist/src/cli/main.js`;
  const plan = servicePlan({
    home,
    env: { HOME: home, SSO_SYNC_SETTINGS: `${home}/team <a&b>.yaml` },
    nodePath,
    cliPath,
  });
  const text = renderLaunchdPlist(await readServiceTemplate('launchd'), plan);
  assert.doesNotMatch(text, /@[A-Z_]+@/, 'every placeholder is filled');

  const plist = parsePlist(text);
  assert.equal(plist.Label, launchdLabel);
  // Node's options before the script, for the daemon's own process (daemon-tiers.ts), spelled out here.
  assert.deepEqual(plist.ProgramArguments, [nodePath, ...unitNodeOptions, cliPath]);
  assert.equal(plist.RunAtLoad, true);
  assert.deepEqual(plist.KeepAlive, { SuccessfulExit: false });
  assert.equal(plist.ProcessType, 'Background');
  assert.equal(plist.ThrottleInterval, 30);
  assert.equal(plist.StandardOutPath, `${home}/Library/Logs/sso-sync/sso-sync.log`);
  assert.equal(plist.StandardErrorPath, `${home}/Library/Logs/sso-sync/sso-sync.err.log`);
  assert.deepEqual(plist.EnvironmentVariables, {
    PATH: '/usr/bin:/bin:/usr/sbin:/sbin',
    AWS_CONFIG_FILE: `${home}/.aws/config`,
    XDG_STATE_HOME: `${home}/.local/state`,
    SSO_SYNC_SETTINGS: `${home}/team <a&b>.yaml`,
  });
  assert.deepEqual(Object.keys(plist).sort(), [
    'EnvironmentVariables',
    'KeepAlive',
    'Label',
    'ProcessType',
    'ProgramArguments',
    'RunAtLoad',
    'StandardErrorPath',
    'StandardOutPath',
    'ThrottleInterval',
  ]);
});

test('the template is named after the label it carries', async () => {
  assert.ok(existsSync(fileURLToPath(new URL(`../../../launchd/${launchdLabel}.plist`, import.meta.url))));
  assert.match(
    await readServiceTemplate('launchd'),
    new RegExp(`<string>${launchdLabel.replace(/\./g, '\\.')}</string>`),
  );
});

test('a path with a control character, which XML cannot carry, is refused with a usage error', async () => {
  const home = '/Users/ann\u0007';
  const template = await readServiceTemplate('launchd');
  assert.throws(
    () =>
      renderLaunchdPlist(
        template,
        servicePlan({ home, env: { HOME: home }, nodePath: '/usr/local/bin/node', cliPath: '/x/main.js' }),
      ),
    (error: unknown) =>
      error instanceof SsoSyncError && error.exitCode === 2 && /control character/.test(error.message),
  );
});
