/**
 * `sso-sync init` as a person runs it: on a real pseudo-terminal, answers typed after each question, against the
 * emulator (its device flow approved at once), in a temp HOME; and as a script runs it, with options and no terminal.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { builtinFixture } from '../../src/emulator/fixture.js';
import { tokenCachePath } from '../../src/paths.js';
import { mtimeNs, profileNames, sandbox, sessionSection, type Sandbox } from '../helpers/sandbox.js';
import { onTerminal, scriptMissing, type Terminal } from '../helpers/terminal.js';
import { fakeManagers } from '../service/fake-service-managers.js';

/** The section init writes for the builtin portal in eu-west-1. */
const mycorpSection =
  '[sso-session mycorp]\nsso_start_url = https://mycorp.awsapps.com/start\nsso_region = eu-west-1\n' +
  'sso_registration_scopes = sso:account:access\n';

async function ready(t: { after(fn: () => Promise<void>): void }, options = {}): Promise<Sandbox> {
  const box = await sandbox({ fixture: builtinFixture(), autoApproveDevice: true, ...options });
  t.after(() => box.close());
  return box;
}

/** A sandbox for a test on a terminal; undefined (the test skipped, outside CI only) where `script` is missing. */
async function readyOnTerminal(t: TestContext, options = {}): Promise<Sandbox | undefined> {
  const skip = scriptMissing();
  if (skip) {
    t.skip(skip);
    return undefined;
  }
  return ready(t, options);
}

/** Runs init on a terminal; the test's own check that no secret the emulator issued was shown on it. */
function terminal(box: Sandbox, args: string[] = [], env: NodeJS.ProcessEnv = {}): Terminal {
  const term = onTerminal(['init', ...args], { ...box.env, ...env });
  const done = term.done.then((result) => {
    for (const secret of box.emulator.issuedSecrets())
      assert.ok(!result.screen.includes(secret), 'a secret issued by the emulator was shown on the terminal');
    return result;
  });
  return { ...term, done };
}

const config = (box: Sandbox) => readFileSync(box.configFile, 'latin1');
/** The config's text before sso-sync's first managed block. */
const beforeBlocks = (text: string) => text.slice(0, text.indexOf('# BEGIN sso-sync') >>> 0);

test('a fresh HOME: the pasted start URL, a mistyped region asked again, the default name; signed in and synced', async (t) => {
  const box = await readyOnTerminal(t);
  if (!box) return;
  const term = terminal(box);
  await term.waitFor(/Start URL: $/m);
  term.type('  https://mycorp.awsapps.com/start/#/ ');
  await term.waitFor(/^Region: $/m);
  term.type('eu-wset-1');
  await term.waitFor(/eu-wset-1 is not an AWS region; did you mean eu-west-1\?/);
  // Asked again, with the region meant as the default: Enter takes it.
  await term.waitFor(/^Region \[eu-west-1\]: $/m);
  term.type('');
  await term.waitFor(/^Name for this sso-session \[mycorp\]: $/m);
  term.type('');
  // Over no display, the sign-in uses the device code by itself (the emulator approves it at once).
  await term.waitFor(/Install the background service, to keep the profiles in sync\? \[y\/N\] $/m, 30_000);
  term.type('n');
  const result = await term.done;
  assert.equal(result.code, 0, result.screen);

  const text = config(box);
  assert.equal(beforeBlocks(text), `${mycorpSection}\n`, 'the section, then the block the first sync wrote');
  assert.ok(profileNames(text).length > 0, 'the first sync wrote the profiles');
  assert.match(result.screen, /Added to .*config:\n\n {2}\[sso-session mycorp\]/);
  assert.match(result.screen, /profile\.added mycorp-prod-admin added/, 'the sync shows what it added');
  assert.match(result.screen, /To keep the profiles in sync from now on: `sso-sync service install`\./);
  assert.equal(statSync(box.configFile).mode & 0o777, 0o600);
  assert.ok(existsSync(tokenCachePath(box.home, 'mycorp')), 'signed in: the token is in the AWS CLI cache');
});

test("a person's config keeps every byte; the section goes outside sso-sync's blocks, above them", async (t) => {
  const box = await readyOnTerminal(t);
  if (!box) return;
  const mine = '# my settings\r\n[default]\r\nregion = eu-west-3\r\noutput = json';
  box.writeConfig(mine);
  const term = terminal(box, ['--no-service']);
  await term.waitFor(/Start URL: $/m);
  term.type('mycorp.awsapps.com/start');
  await term.waitFor(/^Region: $/m);
  term.type('eu-west-1');
  await term.waitFor(/^Name for this sso-session \[mycorp\]: $/m);
  term.type('work');
  const result = await term.done;
  assert.equal(result.code, 0, result.screen);
  const text = config(box);
  // CRLF kept and used for the new lines; the missing final newline added so the header starts a line.
  assert.equal(
    beforeBlocks(text),
    `${mine}\r\n\r\n${mycorpSection.replace('mycorp]', 'work]').replaceAll('\n', '\r\n')}\r\n`,
  );
  assert.match(text, /# BEGIN sso-sync work /);
  assert.doesNotMatch(result.screen, /Install the background service/, '--no-service: not offered');
});

test('an sso-session already in the config is offered; taking it adds nothing, and running init again is harmless', async (t) => {
  const box = await readyOnTerminal(t);
  if (!box) return;
  const mine = `# mine\n${sessionSection()}`;
  box.writeConfig(mine);
  const first = terminal(box, ['--no-service']);
  await first.waitFor(
    /already has sso-session mycorp \(https:\/\/d-1234567890\.awsapps\.com\/start, eu-north-1\)\.\nUse it\? \[Y\/n\] $/,
  );
  first.type('');
  const one = await first.done;
  assert.equal(one.code, 0, one.screen);
  assert.doesNotMatch(one.screen, /Start URL|Added to/);
  assert.equal(beforeBlocks(config(box)), `${mine}\n`, 'nothing added but the block of the sync');

  const synced = config(box);
  const again = terminal(box, ['--no-service']);
  await again.waitFor(/Use it\? \[Y\/n\] $/);
  again.type('y');
  const two = await again.done;
  assert.equal(two.code, 0, two.screen);
  assert.match(two.screen, /Signed in to sso-session mycorp already \(the token is valid until .* and is refreshed/);
  assert.match(two.screen, /0 added, 0 removed, 0 changed, file unchanged/);
  assert.equal(config(box), synced);
});

test('with several sso-sessions, one is picked by number; "new" asks for another, and a taken name is refused', async (t) => {
  const box = await readyOnTerminal(t);
  if (!box) return;
  const mine = `${sessionSection('alpha')}\n${sessionSection('beta', 'https://beta.awsapps.com/start')}`;
  box.writeConfig(mine);
  const pick = terminal(box, ['--no-service']);
  await pick.waitFor(
    / {2}1\) alpha .*\n {2}2\) beta .*\nUse which one\? Its number or name, or "new" to add another: $/,
  );
  pick.type('3');
  await pick.waitFor(/"3" is none of them: type 1 to 2, a name above, or new\.\nUse which one\?/);
  pick.type('2');
  const picked = await pick.done;
  assert.equal(picked.code, 0, picked.screen);
  assert.match(picked.screen, /sso-session beta: \d+ profiles, \d+ added/);
  assert.equal(beforeBlocks(config(box)), `${mine}\n`);

  const fresh = terminal(box, ['--no-service']);
  await fresh.waitFor(/Use which one\?.*: $/m);
  fresh.type('new');
  await fresh.waitFor(/Start URL: $/m);
  fresh.type('https://alpha.awsapps.com/start');
  await fresh.waitFor(/^Region: $/m);
  fresh.type('eu-west-1');
  await fresh.waitFor(/^Name for this sso-session \[alpha-2\]: $/m);
  fresh.type('beta');
  await fresh.waitFor(
    /sso-session beta \(https:\/\/beta\.awsapps\.com\/start, eu-north-1\) already exists; choose another name/,
  );
  await fresh.waitFor(/^Name for this sso-session \[alpha-2\]: $/m);
  fresh.type('');
  const added = await fresh.done;
  assert.equal(added.code, 0, added.screen);
  assert.match(config(box), /^\[sso-session alpha-2\]\nsso_start_url = https:\/\/alpha\.awsapps\.com\/start\n/m);
});

test('Ctrl-D or Ctrl-C at a question: exit 130, "nothing was changed", and the config is untouched', async (t) => {
  const box = await readyOnTerminal(t);
  if (!box) return;
  const mine = '[default]\nregion = eu-west-3\n';
  box.writeConfig(mine);
  const before = mtimeNs(box.configFile);
  const eof = terminal(box);
  await eof.waitFor(/Use it\? \[Y\/n\] $|Start URL: $/m);
  eof.press('\x04');
  const d = await eof.done;
  assert.equal(d.code, 130, d.screen);
  assert.match(d.screen, /sso-sync: init stopped at a prompt \(Ctrl-D, the end of the input\); nothing was changed\./);

  const interrupted = terminal(box);
  await interrupted.waitFor(/Start URL: $/m);
  interrupted.type('https://mycorp.awsapps.com/start');
  await interrupted.waitFor(/^Region: $/m);
  interrupted.press('\x03');
  const c = await interrupted.done;
  assert.equal(c.code, 130, c.screen);
  assert.match(c.screen, /sso-sync: init stopped at a prompt \(Ctrl-C\); nothing was changed\./);
  assert.equal(config(box), mine);
  assert.equal(mtimeNs(box.configFile), before, 'not even rewritten');
  assert.ok(!existsSync(tokenCachePath(box.home, 'mycorp')));
});

test('a start URL that cannot be one is refused with what a good one looks like, and asked again', async (t) => {
  const box = await readyOnTerminal(t);
  if (!box) return;
  const term = terminal(box, ['--session', 'mycorp', '--no-service']);
  await term.waitFor(/Start URL: $/m);
  term.type('https://sso.example.com/start');
  await term.waitFor(/sso\.example\.com is not an AWS access portal\. .*A start URL looks like https:\/\/d-1234567890/);
  await term.waitFor(/Start URL: $/m);
  term.type('https://mycorp.awsapps.com/start/');
  // A region of the right shape that sso-sync does not know (opened since?) is taken when typed twice.
  await term.waitFor(/^Region: $/m);
  term.type('xx-north-7');
  await term.waitFor(/xx-north-7 is not a region sso-sync knows; type it again to use it all the same/);
  await term.waitFor(/^Region: $/m);
  term.type('xx-north-7');
  const result = await term.done;
  assert.equal(result.code, 0, result.screen);
  assert.equal(beforeBlocks(config(box)), `${mycorpSection.replace('eu-west-1', 'xx-north-7')}\n`);
  assert.doesNotMatch(result.screen, /Name for this sso-session/, '--session gave the name');
});

test('a service install that fails leaves init successful, and says so', async (t) => {
  const box = await readyOnTerminal(t);
  if (!box) return;
  // A machine where no user service manager answers: systemctl fails as it does in a container.
  const managers = fakeManagers();
  t.after(() => managers.close());
  const env = managers.env({ FAKE_FAIL: 'systemctl *', FAKE_FAIL_STDERR: 'Failed to connect to bus: No medium found' });
  const term = terminal(box, ['--start-url', 'https://mycorp.awsapps.com/start', '--region', 'eu-west-1'], env);
  await term.waitFor(/Install the background service, to keep the profiles in sync\? \[y\/N\] $/m, 30_000);
  term.type('y');
  const result = await term.done;
  assert.equal(result.code, 0, result.screen);
  assert.match(result.screen, /Failed to connect to bus/);
  assert.match(
    result.screen,
    /init is done all the same: sso-session mycorp is set up, signed in and synced; only the service is not installed/,
  );
  assert.ok(profileNames(config(box)).length > 0);
});

test('without a terminal, the options answer everything; without them, init stops at once (exit 2)', async (t) => {
  const box = await ready(t);
  const refused = await box.run(['init']);
  assert.equal(refused.code, 2);
  assert.match(
    refused.stderr,
    /sso-sync init asks questions, but its input is not a terminal\. Give --start-url URL and --region REGION .*nothing was changed/,
  );
  assert.ok(!existsSync(box.configFile), 'no config was created');

  const badRegion = await box.run(['init', '--start-url', 'https://mycorp.awsapps.com/start', '--region', 'eu-wset-1']);
  assert.equal(badRegion.code, 2);
  assert.match(badRegion.stderr, /--region: eu-wset-1 is not an AWS region; did you mean eu-west-1\?/);
  const badUrl = await box.run(['init', '--start-url', 'https://sso.example.com', '--region', 'eu-west-1']);
  assert.equal(badUrl.code, 2);
  assert.match(badUrl.stderr, /--start-url: sso\.example\.com is not an AWS access portal/);
  assert.ok(!existsSync(box.configFile));

  const args = ['init', '--start-url', 'https://mycorp.awsapps.com/start/#/', '--region', 'eu-west-1'];
  const scripted = await box.run([...args, '--device-code']);
  assert.equal(scripted.code, 0, scripted.stderr);
  assert.equal(beforeBlocks(config(box)), `${mycorpSection}\n`);
  assert.match(scripted.stderr, /To keep the profiles in sync from now on: `sso-sync service install`\./);
  // The same again: the session is found by its start URL; nothing is added.
  const synced = config(box);
  const again = await box.run([...args, '--no-service']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /already has sso-session mycorp .*: using it\./);
  assert.equal(config(box), synced);
  // A --session that exists with another start URL is not silently changed.
  const clash = await box.run(['init', '--session', 'mycorp', '--start-url', 'https://other.awsapps.com/start']);
  assert.equal(clash.code, 2);
  assert.match(clash.stderr, /sso-session mycorp already exists in .* with another start URL/);
  assert.equal(config(box), synced);
});

test('a sign-in that does not finish keeps the section and says how to sign in again', async (t) => {
  const box = await ready(t, { autoApproveDevice: false });
  const result = await box.run([
    'init',
    '--start-url',
    'https://mycorp.awsapps.com/start',
    '--region',
    'eu-west-1',
    '--device-code',
    '--timeout',
    '1',
  ]);
  assert.equal(result.code, 3);
  assert.match(
    result.stderr,
    /The sso-session mycorp is saved in .*config\. To sign in again: `sso-sync login --session mycorp`/,
  );
  assert.equal(config(box), mycorpSection);
});

test('a config whose directory does not exist yet is created 0600 in a new 0700 directory', async (t) => {
  const box = await ready(t);
  const file = path.join(box.home, 'work', 'aws', 'config');
  const result = await box.run(
    ['init', '--start-url', 'https://mycorp.awsapps.com/start', '--region', 'eu-west-1', '--no-service'],
    { env: { AWS_CONFIG_FILE: file } },
  );
  assert.equal(result.code, 0, result.stderr);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
  assert.equal(beforeBlocks(readFileSync(file, 'latin1')), `${mycorpSection}\n`);
  assert.ok(!existsSync(box.configFile), 'only the file AWS_CONFIG_FILE names');
});

test('a config that is a directory is refused before any question (exit 4)', async (t) => {
  const box = await ready(t);
  mkdirSync(box.configFile, { recursive: true });
  const result = await box.run(['init', '--start-url', 'https://mycorp.awsapps.com/start', '--region', 'eu-west-1']);
  assert.equal(result.code, 4);
  assert.match(result.stderr, /config is a directory, not a file\. Move it away, then run again\./);
  assert.equal(box.emulator.stats().requests, 0, 'no sign-in was begun');
  assert.ok(!existsSync(tokenCachePath(box.home, 'mycorp')));

  // On a terminal too, it stops before the first question.
  const box2 = await readyOnTerminal(t);
  if (!box2) return;
  mkdirSync(box2.configFile, { recursive: true });
  const onTerm = await terminal(box2).done;
  assert.equal(onTerm.code, 4, onTerm.screen);
  assert.doesNotMatch(onTerm.screen, /Start URL:/);
});

test('an incomplete [sso-session] of the same name is never written twice: its name is not taken, or init stops', async (t) => {
  const box = await ready(t);
  const incomplete =
    '[sso-session mycorp]\nsso_start_url = https://mycorp.awsapps.com/start\n\n[default]\nregion = eu-west-1\n';
  box.writeConfig(incomplete);
  // Named on the command line: refused, saying what the section lacks, nothing changed.
  const named = await box.run([
    'init',
    '--session',
    'mycorp',
    '--start-url',
    'https://mycorp.awsapps.com/start',
    '--region',
    'eu-west-1',
  ]);
  assert.equal(named.code, 2);
  assert.match(named.stderr, /has an \[sso-session mycorp\] section already, but it has no sso_region\. Complete it/);
  assert.equal(config(box), incomplete);

  // Not named: the suggested name steps aside, and the file keeps one section of each name.
  const scripted = await box.run([
    'init',
    '--start-url',
    'https://mycorp.awsapps.com/start/#/',
    '--region',
    'eu-west-1',
    '--no-service',
    '--device-code',
  ]);
  assert.equal(scripted.code, 0, scripted.stderr);
  const headers = config(box).match(/^\[sso-session [^\]]+\]$/gm) ?? [];
  assert.deepEqual(headers, ['[sso-session mycorp]', '[sso-session mycorp-2]']);
  assert.ok(config(box).startsWith(incomplete), 'the lines of the person are kept as they were');
});

test('answers typed ahead, or pasted several lines at once, answer the next questions', async (t) => {
  const box = await readyOnTerminal(t);
  if (!box) return;
  const term = terminal(box);
  await term.waitFor(/Start URL: $/m);
  // Everything at once: the start URL, the region, Enter for the name, "n" for the service.
  term.press('https://mycorp.awsapps.com/start/#/\reu-west-1\r\rn\r');
  const result = await term.done;
  assert.equal(result.code, 0, result.screen);
  assert.equal(beforeBlocks(config(box)), `${mycorpSection}\n`);
  assert.match(result.screen, /Name for this sso-session \[mycorp\]: /);
});
