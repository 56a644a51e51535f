/** What a dry run prints: a unified diff of the change, the person's credentials masked, and bytes read as UTF-8. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planSync } from '../../src/core/plan.js';
import { defaultRules } from '../../src/core/profile-names.js';
import { masked } from '../../src/core/secrets.js';
import { dryRunReport } from '../../src/sync/dry-run.js';

const file = '/home/me/.aws/config';
/** Text as the bytes of its UTF-8 encoding, one char a byte: what sso-sync reads from a file. */
const bytes = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

test('a change is printed as a unified diff from the file as it is to the file after the sync', () => {
  const before = '[default]\nregion = eu-west-1\n';
  const after = `${before}\n[profile prod]\nsso_account_id = 111111111111\n`;
  assert.equal(
    dryRunReport(file, before, { changed: true, text: after }),
    [
      `Index: ${file}`,
      '='.repeat(67),
      `--- ${file}\tcurrent`,
      `+++ ${file}\tafter sync (dry run)`,
      '@@ -1,2 +1,5 @@',
      ' [default]',
      ' region = eu-west-1',
      '+',
      '+[profile prod]',
      '+sso_account_id = 111111111111',
      '',
    ].join('\n'),
  );
});

test("a credential among the person's own lines is masked in the context; names and other values are shown", () => {
  const before = '[default]\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG\nregion = eu-west-1\n';
  const report = dryRunReport(file, before, { changed: true, text: `${before}# added\n` });
  assert.ok(!report.includes('wJalrXUtnFEMI'), report);
  assert.ok(report.split('\n').includes(` aws_secret_access_key = ${masked}`), report);
  assert.match(report, /^ region = eu-west-1$/m);
});

test('the bytes of the file are shown as the UTF-8 text they are; a new file diffs from nothing', () => {
  const report = dryRunReport(file, undefined, { changed: true, text: bytes('# café\n') });
  assert.match(report, /^\+# café$/m);
  assert.match(report, /^@@ -0,0 \+1,1 @@$/m);
});

test('no change: one line saying so, and no diff', () => {
  assert.equal(dryRunReport(file, 'x = 1\n', { changed: false, text: 'x = 1\n' }), `no change to ${file}\n`);
});

test('a session that could not be fetched was not compared: no "no change", the report says so', () => {
  assert.equal(
    dryRunReport(file, 'x = 1\n', { changed: false, text: 'x = 1\n' }, ['mycorp']),
    'sso-session mycorp could not be fetched (see above), so its block was not compared\n',
  );
  const diff = dryRunReport(file, 'x = 1\n', { changed: true, text: 'x = 1\ny = 2\n' }, ['a', 'b']);
  assert.match(diff, /^\+y = 2$/m);
  assert.match(diff, /sso-session a, b could not be fetched \(see above\), so their blocks were not compared\n$/);
});

test('profiles renamed by new settings are listed under the diff, one line each, old -> new', () => {
  const session = {
    name: 'mycorp',
    startUrl: 'https://d-1234567890.awsapps.com/start',
    region: 'eu-north-1',
    scopes: [],
  };
  const assignments = ['AdministratorAccess', 'PowerUserAccess'].map((roleName) => ({
    session: 'mycorp',
    accountId: '111111111111',
    accountName: 'Prod',
    roleName,
  }));
  const input = (text: string | undefined, name: string) => ({
    text,
    fetched: [{ session, assignments }],
    configuredSessions: ['mycorp'],
    rules: { ...defaultRules, name },
    guard: { maxRemovalShare: 0.5, allowMassRemoval: false },
  });
  const first = planSync(input(undefined, '{account}-{role}'));
  assert.ok(first.ok);
  const renamed = planSync(input(first.text, '{role}.{account}'));
  assert.ok(renamed.ok);
  const report = dryRunReport(file, first.text, renamed);
  assert.deepEqual(report.split('\n').slice(-3), [
    'renamed prod-PowerUserAccess -> PowerUserAccess.prod (sso-session mycorp)',
    'renamed prod-admin -> admin.prod (sso-session mycorp)',
    '',
  ]);
  assert.match(report, /^-\[profile prod-admin\]$/m, 'the diff itself is as it always is');
});
