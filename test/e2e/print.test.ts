/**
 * `sso-sync --once --print`: the managed blocks the sync would write, on stdout, for people who keep their AWS config
 * in dotfiles. Nothing is written and no change is logged as made; a session that fails is said on stderr and left
 * out, the others printed, and the exit code is the failure's.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { builtinFixture } from '../../src/emulator/fixture.js';
import { logLines, mtimeNs, sandbox, sessionSection } from '../helpers/sandbox.js';

const userText = `# mine\n[default]\nregion = eu-west-1\n\n${sessionSection()}`;

/** The managed blocks of a config text, each with its line break, separated by a blank line. */
function blocksOf(text: string): string {
  return [...text.matchAll(/^# BEGIN sso-sync (\S+) [^\n]*\n[\s\S]*?^# END sso-sync \1$\n?/gm)]
    .map((m) => (m[0].endsWith('\n') ? m[0] : `${m[0]}\n`))
    .join('\n');
}

test('--print prints exactly the blocks --once then writes, and writes nothing and logs no change as made', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(userText);
  box.signIn();
  const mtime = mtimeNs(box.configFile);

  const printed = await box.run(['--once', '--print']);
  assert.equal(printed.code, 0, printed.stderr);
  assert.match(
    printed.stdout,
    /^# BEGIN sso-sync mycorp \(managed: edits inside are replaced; checksum [0-9a-f]{8}\)$/m,
  );
  assert.match(printed.stdout, /^\[profile mycorp-prod-admin\]$/m);
  assert.doesNotMatch(printed.stdout, /# mine|\[default\]/, "the person's own lines are not printed");
  assert.equal(logLines(printed.stdout).length, 0, 'log lines go to stderr, the blocks alone to stdout');
  assert.equal(mtimeNs(box.configFile), mtime, 'the config is not written');
  assert.equal(readFileSync(box.configFile, 'utf8'), userText);
  const added = logLines(printed.stderr).filter((l) => l.event === 'profile.added');
  assert.ok(added.length > 0 && added.every((l) => l.dryRun === true), 'changes are logged as a dry run only');
  assert.match(
    (await box.run(['log'])).stdout,
    /^No history yet: .* holds no profile added, removed, changed or renamed/,
    'no change in the history',
  );

  const status = JSON.parse((await box.run(['status', '--json'])).stdout) as { sessions: { lastSync?: unknown }[] };
  assert.equal(status.sessions[0]?.lastSync ?? null, null, 'a print is not a sync: status has no last sync');

  const synced = await box.run(['--once']);
  assert.equal(synced.code, 0, synced.stderr);
  assert.equal(printed.stdout, blocksOf(readFileSync(box.configFile, 'utf8')), 'the very blocks the sync wrote');

  // Again on the synced file: the same blocks, as they are.
  const again = await box.run(['--once', '--print']);
  assert.equal(again.stdout, printed.stdout);
});

test('--print with a failing session: its line on stderr, the other blocks printed, the failure exit code', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(`${userText}\n${sessionSection('other', 'https://d-0000000000.awsapps.com/start')}`);
  box.signIn('mycorp');
  const run = await box.run(['--once', '--print']);
  assert.equal(run.code, 3, 'sign-in required for the other session');
  assert.match(run.stderr, /sso-sync login --session other/);
  assert.match(run.stdout, /^# BEGIN sso-sync mycorp /m);
  assert.match(run.stdout, /^# END sso-sync mycorp$/m);
  assert.doesNotMatch(run.stdout, /sso-sync other/, 'no block for the session that was not fetched');
  assert.equal(readFileSync(box.configFile, 'utf8').includes('# BEGIN'), false);
});

test('--print goes with --once only, and not with --dry-run: one line that says which to use', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  const both = await box.run(['--once', '--print', '--dry-run']);
  assert.equal(both.code, 2);
  assert.equal(
    both.stderr,
    'sso-sync: --print and --dry-run both show a sync without writing it; choose one: --dry-run for the diff of the ' +
      'whole file, --print for the managed blocks alone.\n',
  );
  const alone = await box.run(['--print']);
  assert.equal(alone.code, 2);
  assert.equal(alone.stderr, 'sso-sync: --print goes with --once: `sso-sync --once --print`.\n');
  assert.equal(box.emulator.stats().requests, 0);
});
