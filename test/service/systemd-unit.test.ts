import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SsoSyncError } from '../../src/errors.js';
import { readServiceTemplate, renderSystemdUnit, servicePlan } from '../../src/service/index.js';
import { unitNodeOptions } from './node-options.js';
import { analyzeVerify, splitCommandLine, userManagerDump } from './systemd-tools.js';

const cliPath = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const scratch = mkdtempSync(path.join(os.tmpdir(), 'sso-sync-unit-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes the unit into a fresh directory of its own and returns its path. */
function writeUnit(text: string): string {
  const dir = mkdtempSync(path.join(scratch, 'unit-'));
  const file = path.join(dir, 'sso-sync.service');
  writeFileSync(file, text);
  return file;
}

/** A directory name with everything a unit file gives a meaning to. */
const awkward = 'my dir %h $HOME ${USER} "q" \'s\' \\b;#';
/** The same without quotes and backslashes, which systemd refuses in the program it starts. */
const awkwardProgram = 'my dir %h $HOME ${USER} ;#';

test('the unit for this installation passes systemd-analyze verify without a word', async () => {
  const home = path.join(scratch, 'plain-home');
  const unit = renderSystemdUnit(
    await readServiceTemplate('systemd'),
    servicePlan({ home, env: { HOME: home }, nodePath: process.execPath, cliPath }),
  );
  assert.doesNotMatch(unit, /@[A-Z_]+@/, 'every placeholder is filled');
  const { code, output } = analyzeVerify(writeUnit(unit));
  assert.equal(output, '', 'systemd-analyze verify printed something, which means it ignored or refused a setting');
  assert.equal(code, 0);
});

test('a HOME and an installation path with spaces, %, $, quotes and backslashes still verify', async () => {
  const base = path.join(scratch, awkward);
  const home = path.join(base, 'home');
  const install = path.join(scratch, awkwardProgram, 'install');
  mkdirSync(install, { recursive: true });
  // verify checks that the program exists and is executable: a link to this Node.js, at an awkward path.
  const node = path.join(install, 'node 24%');
  symlinkSync(process.execPath, node);
  const plan = servicePlan({
    home,
    env: {
      HOME: home,
      XDG_CONFIG_HOME: path.join(base, 'config home'),
      SSO_SYNC_SETTINGS: path.join(base, 'team settings.yaml'),
    },
    nodePath: node,
    cliPath: path.join(install, 'dist $x', 'main.js'),
    realWritableDirs: [path.join(base, 'dotfiles', 'aws')],
  });
  const { code, output } = analyzeVerify(writeUnit(renderSystemdUnit(await readServiceTemplate('systemd'), plan)));
  assert.equal(output, '', 'a path split at a space, or an unknown specifier, shows up here');
  assert.equal(code, 0);
});

test('a user manager reads back exactly the paths that were put in', async () => {
  const base = path.join(scratch, 'readback', awkward);
  const home = path.join(base, 'home');
  const nodePath = path.join(scratch, awkwardProgram, 'bin', 'node');
  const script = path.join(base, 'lib $1 $$', 'main.js');
  const plan = servicePlan({
    home,
    env: { HOME: home, SSO_SYNC_SETTINGS: path.join(base, 'settings.yaml') },
    nodePath,
    cliPath: script,
    realWritableDirs: [path.join(base, 'dotfiles', 'aws')],
  });
  const file = writeUnit(renderSystemdUnit(await readServiceTemplate('systemd'), plan));
  const dump = userManagerDump(file);

  assert.deepEqual(dump.get('Environment'), [
    `AWS_CONFIG_FILE=${home}/.aws/config`,
    `XDG_STATE_HOME=${home}/.local/state`,
    `SSO_SYNC_SETTINGS=${base}/settings.yaml`,
  ]);
  // ReadWritePaths= is printed as one space-separated line; the paths themselves hold spaces, so compare it whole.
  assert.deepEqual(dump.get('ReadWritePaths'), [
    [`${home}/.aws`, `${home}/.local/state/sso-sync`, `${base}/dotfiles/aws`].join(' '),
  ]);
  // In arguments systemd turns `$$` into `$` when it starts the program; the dump shows them before that.
  // Node's options before the script, for the daemon's own process (daemon-tiers.ts), spelled out here.
  assert.deepEqual(splitCommandLine(dump.get('ExecStart Command Line')![0]!), [
    nodePath,
    ...unitNodeOptions,
    script.replace(/\$/g, '$$$$'),
  ]);
  assert.deepEqual(dump.get('ProtectSystem'), ['strict']);
  assert.deepEqual(dump.get('PrivateTmp'), ['yes']);
  assert.deepEqual(dump.get('Restart'), ['on-failure']);
  assert.deepEqual(dump.get('Type'), ['simple']);
});

test('the sandbox lets the daemon write its directories and the real home of a linked AWS config, nothing else', () => {
  const home = '/home/ann';
  const plain = servicePlan({ home, env: { HOME: home }, nodePath: '/usr/bin/node', cliPath: '/opt/sso-sync/main.js' });
  assert.deepEqual(plain.writablePaths, ['/home/ann/.aws', '/home/ann/.local/state/sso-sync']);

  const linked = servicePlan({
    home,
    env: { HOME: home, XDG_STATE_HOME: '/var/tmp/state' },
    nodePath: '/usr/bin/node',
    cliPath: '/opt/sso-sync/main.js',
    realWritableDirs: ['/home/ann/dotfiles/aws', '/home/ann/.aws/sso/cache'],
  });
  assert.deepEqual(linked.writablePaths, ['/home/ann/.aws', '/var/tmp/state/sso-sync', '/home/ann/dotfiles/aws']);

  // A config named outside ~/.aws: its directory is writable, and what lies inside it is not listed twice.
  const elsewhere = servicePlan({
    home,
    env: { HOME: home, AWS_CONFIG_FILE: '~/work/aws-config' },
    nodePath: '/usr/bin/node',
    cliPath: '/opt/x.js',
  });
  assert.deepEqual(elsewhere.writablePaths, ['/home/ann/.aws', '/home/ann/.local/state/sso-sync', '/home/ann/work']);
  assert.deepEqual(elsewhere.environment[0], ['AWS_CONFIG_FILE', '/home/ann/work/aws-config']);
});

test('paths a unit file cannot hold are refused with a usage error that names them', async () => {
  const template = await readServiceTemplate('systemd');
  const render = (home: string, nodePath = '/usr/bin/node') =>
    renderSystemdUnit(template, servicePlan({ home, env: { HOME: home }, nodePath, cliPath: '/opt/sso-sync/main.js' }));
  for (const [home, nodePath, words, named] of [
    ['/home/a\nb', '/usr/bin/node', /control character/, '"/home/a\\nb/.aws/config"'],
    ['/home/ann', '/opt/node "24"/bin/node', /quote or a backslash/, '"/opt/node \\"24\\"/bin/node"'],
    ['/home/ann', '/opt/node\\24/bin/node', /quote or a backslash/, '"/opt/node\\\\24/bin/node"'],
  ] as const) {
    assert.throws(
      () => render(home, nodePath),
      (error: unknown) =>
        error instanceof SsoSyncError &&
        error.exitCode === 2 &&
        words.test(error.message) &&
        error.message.includes(named),
    );
  }
});

test('the template shipped in systemd/ is a user unit wanted by default.target', () => {
  const text = readFileSync(fileURLToPath(new URL('../../../systemd/sso-sync.service', import.meta.url)), 'utf8');
  assert.match(text, /^WantedBy=default\.target$/m);
  assert.match(text, /^ExecStart=@NODE@ @NODE_FLAGS@ @CLI@$/m);
  assert.doesNotMatch(
    text,
    /^(User|Group|PrivateUsers|CapabilityBoundingSet|ProtectKernelModules|PrivateDevices|MemoryDenyWriteExecute)=/m,
  );
});
