/**
 * How the installed command starts: one self-contained bundle that writes nothing into its installation, and Node's
 * compile cache in the user's cache directory, which is only ever a speed-up.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { builtinFixture } from '../../src/emulator/fixture.js';
import { filesUnder, profileNames, sandbox, sessionSection } from '../helpers/sandbox.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs a CLI script to its end (the emulator answers meanwhile, in this process). */
function runScript(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

/** Sets the mode of `dir` and of every file and directory under it. */
function chmodTree(dir: string, fileMode: number, dirMode: number): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) chmodTree(p, fileMode, dirMode);
    else chmodSync(p, fileMode);
  }
  chmodSync(dir, dirMode);
}

/** Every file and directory under `dir` with its mode and size, to compare before and after. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const s = statSync(p);
      out.push(`${path.relative(dir, p)} ${s.mode.toString(8)} ${s.isDirectory() ? '-' : s.size}`);
      if (s.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * A sandbox, and a read-only copy of what `npm pack` ships (package.json "files") with no dependency installed
 * beside it; both removed when the test ends.
 */
async function readOnlyInstall(t: { after(fn: () => Promise<void>): void }) {
  const box = await sandbox({ fixture: builtinFixture() });
  const install = mkdtempSync(path.join(os.tmpdir(), 'sso-sync-install-'));
  t.after(() => {
    chmodTree(install, 0o644, 0o755);
    rmSync(install, { recursive: true, force: true });
    return box.close();
  });
  for (const part of ['package.json', 'dist/src', 'systemd', 'launchd'])
    cpSync(path.join(root, part), path.join(install, part), { recursive: true });
  chmodTree(install, 0o444, 0o555);
  return { box, install };
}

test('the command runs from a read-only copy of the package without node_modules, and writes nothing there', async (t) => {
  const { box, install } = await readOnlyInstall(t);
  const before = snapshot(install);
  const cli = path.join(install, 'dist', 'src', 'cli', 'main.js');
  box.writeConfig(sessionSection());
  box.signIn();

  const once = await runScript(cli, ['--once'], box.env);
  assert.equal(once.status, 0, once.stderr);
  assert.ok(profileNames(readFileSync(box.configFile, 'utf8')).length > 0, 'the sync wrote the profiles');
  for (const args of [['status'], ['log'], ['--help'], ['version']]) {
    const run = await runScript(cli, args, box.env);
    assert.equal(run.status, 0, `${args.join(' ')}: ${run.stderr}`);
    assert.equal(run.stderr, '', `${args.join(' ')} printed nothing on stderr`);
  }
  assert.deepEqual(snapshot(install), before, 'nothing in the installation was written, added or changed');
});

/** The daemon from `cli` until its first sync has completed, then stopped; its exit status and output. */
async function daemonUntilSynced(cli: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; out: string }> {
  const child = spawn(process.execPath, [cli], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const synced = new Promise<void>((resolve) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('"event":"sync.completed"')) resolve();
    });
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const ended = new Promise<number | null>((resolve) => child.on('close', resolve));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, 20_000)));
  await Promise.race([synced, ended, late]);
  clearTimeout(timer);
  child.kill('SIGTERM');
  return { status: await ended, out };
}

test('the daemon and the worker processes it forks run from that read-only copy too', async (t) => {
  const { box, install } = await readOnlyInstall(t);
  box.writeConfig(sessionSection());
  box.signIn();
  const { status, out } = await daemonUntilSynced(path.join(install, 'dist', 'src', 'cli', 'main.js'), box.env);
  assert.match(out, /"event":"sync.completed"/, 'a worker synced');
  assert.ok(profileNames(readFileSync(box.configFile, 'utf8')).length > 0, 'the sync wrote the profiles');
  assert.equal(status, 0, out);
});

test("the daemon's own process is built apart, of sso-sync's own modules only (no dependency is in it)", () => {
  const daemon = readFileSync(path.join(root, 'dist', 'src', 'cli', 'daemon-command.js'), 'utf8');
  // esbuild names each module it bundles in a comment: sso-sync's under src/, a dependency's under node_modules/.
  assert.match(daemon, /^\/\/ src\/daemon\/daemon\.ts$/m);
  const dependencies = [...daemon.matchAll(/^\/\/ node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map((m) => m[1]);
  // The hashes of short texts (core/short-hash.ts) are the one dependency; the AWS SDK, node-cron, zod, pino and
  // chokidar are never in it.
  assert.deepEqual([...new Set(dependencies)], ['@noble/hashes']);
  assert.doesNotMatch(daemon, /from "\.\/bundled-/, 'no chunk of the commands build');
  // Node's crypto is not loaded in it (short-hash.ts, fs/unique-name.ts): each built-in comes from builtinModule.
  assert.match(daemon, /builtinModule\("node:fs"\)/);
  assert.doesNotMatch(daemon, /node:crypto/);
});

test('the entry imports nothing before its first line runs, so that the daemon turns its tiers off first', () => {
  const entry = readFileSync(path.join(root, 'dist', 'src', 'cli', 'main.js'), 'utf8');
  assert.doesNotMatch(entry, /^import /m, 'no static import');
  assert.match(entry, /await import\("\.\/cli\.js"\)/);
});

test("the compile cache is kept in the user's cache directory, or nowhere when that cannot be written", async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(sessionSection());
  box.signIn();
  const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

  const first = await runScript(cli, ['--once'], box.env);
  assert.equal(first.status, 0, first.stderr);
  const cache = path.join(box.home, '.cache', 'sso-sync', 'node-compile-cache');
  assert.ok(filesUnder(cache).length > 0, `compiled code is kept in ${cache}`);

  const elsewhere = path.join(box.home, 'elsewhere');
  const moved = await runScript(cli, ['status'], { ...box.env, XDG_CACHE_HOME: elsewhere });
  assert.equal(moved.status, 0, moved.stderr);
  assert.ok(filesUnder(path.join(elsewhere, 'sso-sync', 'node-compile-cache')).length > 0, 'XDG_CACHE_HOME is obeyed');

  // A path under a regular file cannot be made a directory, even by root: the cache cannot be written.
  const blocked = path.join(box.home, 'a-file');
  writeFileSync(blocked, '');
  for (const args of [['--once'], ['status'], ['log']]) {
    const run = await runScript(cli, args, { ...box.env, XDG_CACHE_HOME: blocked });
    assert.equal(run.status, 0, `${args.join(' ')}: ${run.stderr}`);
    assert.equal(run.stderr, '', `${args.join(' ')} says nothing of the cache it could not write`);
  }

  const off = path.join(box.home, 'off');
  const disabled = await runScript(cli, ['status'], {
    ...box.env,
    XDG_CACHE_HOME: off,
    NODE_DISABLE_COMPILE_CACHE: '1',
  });
  assert.equal(disabled.status, 0, disabled.stderr);
  assert.deepEqual(filesUnder(off), [], "Node's NODE_DISABLE_COMPILE_CACHE is obeyed");
});

test("status, log and --help never load Node's crypto, with a config of blocks and a settings file (its functions load it when called)", async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(sessionSection());
  // A settings file too: --once reads it in full and keeps it, and the commands after it take it from the cache.
  mkdirSync(path.join(box.home, '.config', 'sso-sync'), { recursive: true });
  writeFileSync(path.join(box.home, '.config', 'sso-sync', 'settings.yaml'), 'schedule: "*/30 * * * *"\n');
  box.signIn();
  const synced = await box.run(['--once']);
  assert.equal(synced.code, 0, synced.stderr);
  assert.match(readFileSync(box.configFile, 'utf8'), /# BEGIN sso-sync/);
  // A preload that writes down, as the process ends, every internal module of Node's it loaded.
  const recorder = path.join(box.home, 'record-modules.cjs');
  writeFileSync(
    recorder,
    "process.on('exit', () => require('fs').writeFileSync(process.env.MODULES_FILE, process.moduleLoadList.join('\\n')));\n",
  );
  const cli = path.join(root, 'dist', 'src', 'cli', 'main.js');
  for (const args of [['status'], ['log'], ['--help'], ['--once']]) {
    const modules = path.join(box.home, `modules-${args[0]}`);
    const child = spawn(process.execPath, ['-r', recorder, cli, ...args], {
      env: { ...box.env, MODULES_FILE: modules },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(status, 0, `${args.join(' ')}: ${stderr}`);
    const loaded = readFileSync(modules, 'utf8').includes('NativeModule crypto');
    // --once checksums the blocks it writes: there crypto is loaded, which shows the look would see it.
    assert.equal(loaded, args[0] === '--once', `${args.join(' ')} ${loaded ? 'loaded' : 'did not load'} crypto`);
  }
});
