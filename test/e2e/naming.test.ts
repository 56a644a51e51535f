/**
 * The naming settings as a person meets them through `sso-sync --once`: an override that matches nothing is
 * warned about once per sync (and not when a session could not be fetched), new names show as renames in the dry
 * run, in the log and in `sso-sync log`, never held by the removal guard, and a naming mistake stops the run (exit 2).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { builtinFixture } from '../../src/emulator/fixture.js';
import { logLines, profileNames, sandbox, sessionSection } from '../helpers/sandbox.js';

test('an override that matches no account is warned about once per sync, naming the key; not when a session failed', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(sessionSection());
  box.signIn();
  const settings = path.join(box.home, 'settings.yaml');
  writeFileSync(
    settings,
    'profiles:\n  accounts:\n    "111111111112": { alias: prod }\n    "mycorp-dev":\n' +
      '      roles: { Developer: { alias: dev }, Develper: { exclude: true } }\n',
  );
  const run = await box.run(['--once', '--settings', settings]);
  assert.equal(run.code, 0, run.stderr);
  const warned = logLines(run.stdout).filter((l) => l.event === 'settings.unmatched');
  assert.deepEqual(
    warned.map((l) => [l.level, l.key, l.msg]),
    [
      [
        'warn',
        'profiles.accounts.111111111112',
        `${settings}: profiles.accounts.111111111112 matches no account you are assigned, so it does nothing; ` +
          'check the account id or name for a typo (or remove it if the assignment is gone)',
      ],
      [
        'warn',
        'profiles.accounts.mycorp-dev.roles.Develper',
        `${settings}: profiles.accounts.mycorp-dev.roles.Develper matches no role of the accounts it is under, so ` +
          'it does nothing; check the role name for a typo (or remove it if the assignment is gone)',
      ],
    ],
  );
  assert.ok(profileNames(readFileSync(box.configFile, 'utf8')).includes('mycorp-dev-dev'), 'the role alias applies');

  // A second session that cannot be fetched (no token): its accounts are unknown, so nothing is said.
  writeFileSync(
    settings,
    readFileSync(settings, 'utf8') +
      'sessions:\n  other:\n    start_url: https://d-0000000000.awsapps.com/start\n    region: us-east-1\n',
  );
  const partial = await box.run(['--once', '--settings', settings]);
  assert.equal(partial.code, 3, 'sign-in required for the other session');
  assert.deepEqual(
    logLines(partial.stdout).filter((l) => l.event === 'settings.unmatched'),
    [],
  );
});

test('new naming settings rename profiles: the dry run lists each rename, the sync logs profile.renamed, nothing is held', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(sessionSection());
  box.signIn();
  assert.equal((await box.run(['--once'])).code, 0);
  const before = profileNames(readFileSync(box.configFile, 'utf8'));
  assert.ok(before.includes('mycorp-prod-admin'));

  // 13 of the 16 profiles get a new name (the ReadOnlyAccess ones, with no role part, keep theirs): far more than
  // max_removal_share of the block, and none of it a removal.
  const renames = 13;
  const settings = path.join(box.home, 'settings.yaml');
  writeFileSync(
    settings,
    'profiles:\n  name: "{role}.{account}"\n  strip_prefix: [mycorp-]\n' +
      '  accounts:\n    "111111111111": { alias: production }\n',
  );
  const dry = await box.run(['--once', '--dry-run', '--settings', settings]);
  assert.equal(dry.code, 0, dry.stderr);
  const renamedLines = dry.stdout.split('\n').filter((l) => l.startsWith('renamed '));
  assert.equal(renamedLines.length, renames, dry.stdout);
  assert.ok(renamedLines.includes('renamed mycorp-prod-admin -> admin.production (sso-session mycorp)'));
  assert.ok(renamedLines.includes('renamed mycorp-prod -> production (sso-session mycorp)'));
  const dryLog = logLines(dry.stderr);
  assert.equal(dryLog.filter((l) => l.event === 'profile.renamed' && l.dryRun === true).length, renames);

  const run = await box.run(['--once', '--settings', settings]);
  assert.equal(run.code, 0, run.stderr);
  const lines = logLines(run.stdout);
  assert.deepEqual(
    lines.filter((l) => ['profile.added', 'profile.removed', 'sync.held'].includes(String(l.event))),
    [],
  );
  const renamed = lines.filter((l) => l.event === 'profile.renamed');
  assert.equal(renamed.length, renames);
  const prodAdmin = renamed.find((l) => l.from === 'mycorp-prod-admin');
  assert.deepEqual(
    [prodAdmin?.to, prodAdmin?.profile, prodAdmin?.accountId, prodAdmin?.role],
    ['admin.production', 'admin.production', '111111111111', 'AdministratorAccess'],
  );
  assert.equal(lines.find((l) => l.event === 'sync.completed')?.renamed, renames);
  assert.ok(profileNames(readFileSync(box.configFile, 'utf8')).includes('admin.production'));

  const history = await box.run(['log']);
  assert.equal(history.code, 0, history.stderr);
  assert.match(
    history.stdout,
    /mycorp {2}= mycorp-prod-admin -> admin\.production +111111111111 {2}AdministratorAccess/,
  );
  assert.match(history.stdout, new RegExp(`${renames} renamed`));
});

test('a naming mistake in the settings stops the run before any change, naming the key (exit 2)', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(sessionSection());
  box.signIn();
  const settings = path.join(box.home, 'settings.yaml');
  writeFileSync(settings, 'profiles:\n  name: "{account}"\n  role_trim: ["(admin"]\n');
  const run = await box.run(['--once', '--settings', settings]);
  assert.equal(run.code, 2);
  const output = run.stdout + run.stderr;
  assert.match(output, /profiles\.name: the name must contain \{role\} or \{role_name\}/);
  assert.match(output, /profiles\.role_trim\[0\]: not a valid regular expression/);
  assert.equal(readFileSync(box.configFile, 'utf8'), sessionSection(), 'the config is untouched');
});
