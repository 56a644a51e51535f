/**
 * `status` and `completion sessions` with a settings file, through the installed command: the report is the same
 * whether the sessions come from the cache or from a full load of the file, and an edit of the file, however
 * small, or a broken file, shows at the next run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { settingsCacheFile } from '../../src/paths.js';
import { cliPath } from '../helpers/sandbox.js';
import { tempDir } from '../helpers/temp-dir.js';

const settingsText =
  'sessions:\n' +
  '  mycorp:\n    start_url: https://d-1234567890.awsapps.com/start\n    region: eu-west-1\n' +
  '  partner:\n    start_url: https://d-0987654321.awsapps.com/start\n    region: us-east-1\n' +
  'profiles:\n  name: "{account}-{role}"\n  accounts:\n    "111111111111": { alias: prod, region: eu-central-1 }\n';

test('status reads the settings the same from the cache as fully, and sees an edit or a broken file at once', (t) => {
  const home = tempDir(t, 'sso-sync-status-settings-');
  const env = { PATH: process.env.PATH, HOME: home };
  mkdirSync(path.join(home, '.aws'));
  writeFileSync(
    path.join(home, '.aws', 'config'),
    '[sso-session alpha]\nsso_start_url = https://alpha.awsapps.com/start\nsso_region = us-east-1\n',
  );
  const settings = path.join(home, '.config', 'sso-sync', 'settings.yaml');
  mkdirSync(path.dirname(settings), { recursive: true });
  writeFileSync(settings, settingsText);
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [cliPath, ...args], { env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    return r.stdout;
  };

  const full = run('status');
  assert.ok(existsSync(settingsCacheFile(env)), 'the first run keeps the sessions');
  assert.match(full, /^sso-session partner \(https:\/\/d-0987654321\.awsapps\.com\/start, us-east-1\)$/m);
  assert.deepEqual(full.match(/^sso-session \S+/gm), [
    'sso-session alpha',
    'sso-session mycorp',
    'sso-session partner',
  ]);
  assert.equal(run('status'), full, 'from the cache: the same report');
  assert.equal(run('status', '--json'), run('status', '--json'));
  assert.equal(run('completion', 'sessions'), 'alpha\nmycorp\npartner\n');

  // One byte changed.
  writeFileSync(settings, settingsText.replace('us-east-1', 'us-east-2'));
  assert.match(run('status'), /^sso-session partner \(https:\/\/d-0987654321\.awsapps\.com\/start, us-east-2\)$/m);
  // A broken file: said on the first line, and the config's session still shown.
  writeFileSync(settings, settingsText.replace('region: eu-west-1', 'regoin: eu-west-1'));
  const broken = run('status');
  assert.ok(
    broken.startsWith(
      `settings: the settings file is not valid:   ${settings}: sessions.mycorp.region: Invalid input: ` +
        'expected string, received undefined\ndaemon: ',
    ),
    broken,
  );
  assert.deepEqual(broken.match(/^sso-session \S+/gm), ['sso-session alpha']);
  assert.equal(run('completion', 'sessions'), 'alpha\n');
});
