/** Which sessions a run syncs, and the warnings a person gets about the ones the config names but cannot be used. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scanConfig } from '../../src/core/config-text.js';
import type { SessionDef } from '../../src/core/types.js';
import { chooseSessions } from '../../src/sync/choose-sessions.js';
import { capturedLog, levels } from './captured-log.js';

const file = '/home/me/.aws/config';
const settingsFile = '/home/me/.config/sso-sync/settings.yaml';
const session = (name: string, startUrl = `https://${name}.awsapps.com/start`): SessionDef => ({
  name,
  startUrl,
  region: 'eu-north-1',
  scopes: ['sso:account:access'],
});
const outside = (text: string) => scanConfig(text).outside;

const config = [
  '[sso-session corp]',
  'sso_start_url = https://corp.awsapps.com/start',
  'sso_region = eu-north-1',
  '',
  '[sso-session half]',
  'sso_start_url = https://half.awsapps.com/start',
  '',
  '[sso-session bad@name]',
  'sso_start_url = https://bad.awsapps.com/start',
  'sso_region = eu-north-1',
  '',
].join('\n');

test('the sessions of the settings and of the config are synced together; unusable sections are named with why', () => {
  const { log, lines } = capturedLog();
  const chosen = chooseSessions(log, { sessions: [session('lab')], source: settingsFile }, outside(config), [], file);
  assert.deepEqual(
    chosen.sessions.map((s) => s.name),
    ['corp', 'lab'],
  );
  assert.deepEqual(chosen.configured.sort(), ['corp', 'lab']);
  const unusable = lines.filter((l) => l.event === 'session.unusable');
  assert.deepEqual(
    unusable.map((l) => [l.level, l.session, l.msg]),
    [
      [levels.warn, 'half', `[sso-session half] in ${file} is not synced: it has no sso_region`],
      [
        levels.warn,
        'bad@name',
        `[sso-session bad@name] in ${file} is not synced: its name uses characters other than A-Za-z0-9._-`,
      ],
    ],
  );
});

test("a session defined differently in both places: the config's section wins, and the warning names the keys", () => {
  const { log, lines } = capturedLog();
  const settings = {
    sessions: [session('corp', 'https://old.awsapps.com/start'), session('lab')],
    source: settingsFile,
  };
  const chosen = chooseSessions(log, settings, outside(config), [], file);
  assert.equal(chosen.sessions.find((s) => s.name === 'corp')?.startUrl, 'https://corp.awsapps.com/start');
  const conflicts = lines.filter((l) => l.event === 'session.conflict');
  assert.deepEqual(
    conflicts.map((l) => [l.level, l.keys, l.msg]),
    [
      [
        levels.warn,
        ['sso_start_url'],
        `sso-session corp is defined both in ${file} and in ${settingsFile}, with different sso_start_url; ` +
          `the section in ${file} is used, as the AWS CLI uses it`,
      ],
    ],
  );

  // Limited to another session, the conflict is not this run's business.
  const only = capturedLog();
  const lab = chooseSessions(only.log, settings, outside(config), ['lab'], file);
  assert.deepEqual(
    lab.sessions.map((s) => s.name),
    ['lab'],
  );
  assert.deepEqual(
    [...new Set(lab.configured)].sort(),
    ['corp', 'lab'],
    'the other sessions still count as configured',
  );
  assert.equal(only.lines.filter((l) => l.event === 'session.conflict').length, 0);
});

test('nothing to sync, or an unknown --session, is a usage error that says what to do', () => {
  const { log } = capturedLog();
  assert.throws(
    () => chooseSessions(log, { sessions: [], source: undefined }, outside('[default]\nregion = x\n'), [], file),
    (error: Error & { code?: string }) =>
      error.code === 'usage' && /no sso-session to sync in .*aws configure sso-session/.test(error.message),
  );
  assert.throws(
    () => chooseSessions(log, { sessions: [], source: undefined }, outside(config), ['nope'], file),
    (error: Error & { code?: string }) =>
      error.code === 'usage' && error.message === 'no sso-session named nope; the known sessions are corp.',
  );
});
