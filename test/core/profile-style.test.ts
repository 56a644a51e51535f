/**
 * profiles.style: the keys each style writes, read back by the JS SDK's config loader and the AWS CLI's, and the
 * credential_process command line split back into the same arguments by both of its readers (Python's shlex, as
 * the AWS CLI splits it, and /bin/sh, which the JS SDK runs it with), whatever the paths hold.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { scanConfig } from '../../src/core/config-text.js';
import { planSync } from '../../src/core/plan.js';
import { defaultRules } from '../../src/core/profile-names.js';
import { credentialCommandProblem, credentialProcessValue, type ProfileStyle } from '../../src/core/profile-style.js';
import { parseSettings } from '../../src/settings/check-settings.js';
import { planStyle } from '../../src/sync/plan-style.js';
import { tempDir } from '../helpers/temp-dir.js';
import { readWithSdk } from './hostile-input.js';
import { readWithPython, shlexSplit } from './python-config.js';

/** What /bin/sh makes of `command` as the JS SDK runs it (`sh -c`), each argument printed whole. */
function shSplit(values: readonly string[]): string[][] {
  const script = values.map((v) => `printf '%s\\0' ${v}; printf '\\n'`).join('\n');
  const run = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout
    .split('\n')
    .slice(0, values.length)
    .map((line) => line.split('\0').slice(0, -1));
}

// Any printable text, blanks, quotes, shell and INI specials, and letters beyond ASCII: what a path may hold.
const pathPart = fc.string({
  unit: fc.oneof(
    fc.constantFrom(' ', "'", '"', '\\', '$', '`', '#', ';', '=', '[', ']', '*', '?', '~', '!', '&', '|', '(', 'é'),
    fc.constantFrom('a', 'Z', '0', '.', '-', '_', '/'),
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
  ),
  minLength: 1,
  maxLength: 24,
});
const absolutePath = fc.array(pathPart, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`);

test('property: a credential_process line splits back into the same command in shlex and in sh', () => {
  const commands = fc.sample(fc.tuple(absolutePath, absolutePath), { numRuns: 300, seed: 13 });
  const values = commands.map((c) => Buffer.from(credentialProcessValue(c, 'prod-admin'), 'latin1').toString('utf8'));
  const byShlex = shlexSplit(values);
  const bySh = shSplit(values);
  commands.forEach((command, i) => {
    const want = [...command, 'credentials', '--profile', 'prod-admin'];
    assert.deepEqual(byShlex[i], want, `shlex: ${values[i]}`);
    assert.deepEqual(bySh[i], want, `sh: ${values[i]}`);
  });
});

test('property: the JS SDK and the AWS CLI read a credential_process value whole (no inline comment cut)', async (t) => {
  const dir = tempDir(t, 'sso-sync-style-');
  const commands = fc.sample(fc.tuple(absolutePath, absolutePath), { numRuns: 100, seed: 29 });
  const file = path.join(dir, 'config');
  const values = commands.map((c) => credentialProcessValue(c, `p`));
  writeFileSync(
    file,
    Buffer.from(values.map((v, i) => `[profile p${i}]\ncredential_process = ${v}\n`).join('\n'), 'latin1'),
  );
  const sdk = await readWithSdk(file);
  const cli = readWithPython([file])[file]!;
  assert.ok(cli.ok, cli.ok ? '' : cli.error);
  values.forEach((v, i) => {
    const text = Buffer.from(v, 'latin1').toString('utf8');
    assert.equal(sdk[`p${i}`]?.credential_process, text, 'JS SDK');
    assert.equal(cli.sections[`profile p${i}`]?.credential_process, text, 'AWS CLI');
  });
});

test('a command that cannot be a credential_process value is named with the reason', () => {
  assert.equal(credentialCommandProblem(['/usr/bin/node', '/opt/sso-sync/main.js']), undefined);
  assert.match(credentialCommandProblem(['node', '/opt/main.js'])!, /"node" is not an absolute path/);
  assert.match(credentialCommandProblem(['/usr/bin/node', '/opt/a\nb/main.js'])!, /control character/);
  assert.match(credentialCommandProblem([])!, /no command/);
});

const session = {
  name: 'mycorp',
  startUrl: 'https://d-1234567890.awsapps.com/start',
  region: 'eu-north-1',
  scopes: ['sso:account:access'],
};
const assignments = [
  { session: 'mycorp', accountId: '111111111111', accountName: 'Prod', roleName: 'AdministratorAccess' },
  { session: 'mycorp', accountId: '222222222222', accountName: 'Dev', roleName: 'PowerUserAccess' },
];

function planned(style: ProfileStyle): string {
  const plan = planSync({
    text: undefined,
    fetched: [{ session, assignments }],
    configuredSessions: ['mycorp'],
    rules: { ...defaultRules, set: { output: 'json' } },
    style,
    guard: { maxRemovalShare: 0.5, allowMassRemoval: false },
  });
  assert.ok(plan.ok);
  return plan.text;
}

test('each style gives the profiles the JS SDK reads with exactly the keys planned', async (t) => {
  const dir = tempDir(t, 'sso-sync-style-');
  const styles: ProfileStyle[] = [
    { kind: 'sso-session' },
    { kind: 'legacy' },
    { kind: 'credential-process', command: ['/usr/bin/node', '/opt/my tools/sso-sync/dist/src/cli/main.js'] },
  ];
  const expected: Record<string, string[]> = {
    'sso-session': ['sso_session', 'sso_account_id', 'sso_role_name', 'region', 'output'],
    legacy: ['sso_start_url', 'sso_region', 'sso_account_id', 'sso_role_name', 'region', 'output'],
    'credential-process': [
      'credential_process',
      'sso_sync_session',
      'sso_sync_account_id',
      'sso_sync_role_name',
      'region',
      'output',
    ],
  };
  for (const style of styles) {
    const text = planned(style);
    const file = path.join(dir, style.kind);
    writeFileSync(file, Buffer.from(text, 'latin1'));
    const sdk = await readWithSdk(file);
    const sections = scanConfig(text).blocks[0]!.sections.filter((s) => s.kind === 'profile');
    assert.equal(sections.length, 2);
    for (const s of sections) {
      assert.deepEqual(Object.keys(sdk[s.name]!), expected[style.kind], `${style.kind}: keys of ${s.name}`);
      assert.deepEqual(sdk[s.name], Object.fromEntries(s.values), `${style.kind}: values of ${s.name}`);
    }
  }
  const legacy = (await readWithSdk(path.join(dir, 'legacy')))['prod-admin']!;
  assert.equal(legacy.sso_start_url, session.startUrl);
  assert.equal(legacy.sso_region, session.region);
  const viaProcess = (await readWithSdk(path.join(dir, 'credential-process')))['dev-PowerUserAccess']!;
  assert.equal(
    viaProcess.credential_process,
    '/usr/bin/node /opt/my\\ tools/sso-sync/dist/src/cli/main.js credentials --profile dev-PowerUserAccess',
  );
  assert.equal(viaProcess.sso_sync_account_id, '222222222222');
});

test('settings: profiles.style takes the three styles, and names the key for anything else', () => {
  assert.equal(parseSettings('', '/s.yaml').style, 'sso-session');
  for (const style of ['sso-session', 'legacy', 'credential-process'])
    assert.equal(parseSettings(`profiles:\n  style: ${style}\n`, '/s.yaml').style, style);
  assert.throws(
    () => parseSettings('profiles:\n  style: process\n', '/s.yaml'),
    /profiles\.style: expected one of sso-session, legacy, credential-process/,
  );
  for (const key of ['credential_process', 'sso_start_url', 'sso_region', 'sso_sync_account_id']) {
    assert.throws(
      () => parseSettings(`profiles:\n  set: { ${key}: x }\n`, '/s.yaml'),
      /computed by sso-sync and cannot be set/,
      key,
    );
  }
});

test('a sync in the credential-process style refuses a command it cannot write, before anything is fetched', () => {
  assert.deepEqual(planStyle('legacy', []), { kind: 'legacy' });
  assert.deepEqual(planStyle('credential-process', ['/n', '/s']), {
    kind: 'credential-process',
    command: ['/n', '/s'],
  });
  assert.throws(
    () => planStyle('credential-process', ['/usr/bin/node', '/home/a\nb/main.js']),
    (error: Error & { exitCode?: number }) =>
      error.exitCode === 2 && /cannot be written into the AWS config: .*control character/.test(error.message),
  );
});
