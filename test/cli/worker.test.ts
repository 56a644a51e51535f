/**
 * The daemon's worker process, forked as the daemon forks it (the installed file, IPC with structured clone): the
 * settings it reads arrive whole, a failure arrives as the same error, the schedule's
 * next time is node-cron's, and a worker that ends without answering, or of another version, is said plainly.
 */
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runWorker, workerFile } from '../../src/cli/worker-process.js';
import type { WorkerMessage } from '../../src/daemon/worker-protocol.js';
import { SsoSyncError } from '../../src/errors.js';
import { loadSettings } from '../../src/settings/load.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A home with a settings file of every kind of key; the environment a daemon there runs in. */
function home(t: { after(fn: () => void): void }, settings: string) {
  const dir = tempDir(t, 'sso-sync-worker-');
  const file = path.join(dir, '.config', 'sso-sync', 'settings.yaml');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, settings);
  const env = { PATH: process.env.PATH, HOME: dir, XDG_STATE_HOME: path.join(dir, 'state') };
  return { env, file };
}

const richSettings = `schedule: "*/15 * * * *"
splay: 2m
notify: true
sessions:
  mycorp:
    start_url: https://d-1234567890.awsapps.com/start
    region: eu-west-1
profiles:
  name: "{account}-{role}"
  account_trim: ["-(eu|us)$"]
  role_trim: ["Access$"]
  accounts:
    "*prod*": { region: [eu-west-1, us-east-1] }
chains:
  - name: "{profile}-deployer"
    role_arn: "arn:aws:iam::{account_id}:role/Deployer"
    roles: [AdministratorAccess]
`;

test('the settings a worker reads are the settings read here, whole', async (t) => {
  const { env } = home(t, richSettings);
  const base = { logLevel: 'silent', settingsFile: undefined };
  const crossed = await runWorker<'settings'>({ kind: 'settings', ...base }, { env });
  const here = await loadSettings(undefined, env);
  assert.deepEqual(crossed, here);
  assert.deepEqual(crossed.rules.accountTrim, ['-(eu|us)$']);
});

test('settings a worker refuses arrive as the same error: its code, exit status and message', async (t) => {
  const { env, file } = home(t, 'schedule: "not a cron"\n');
  const base = { logLevel: 'silent', settingsFile: file };
  const here = await loadSettings(file, env).catch((e: unknown) => e);
  assert.ok(here instanceof SsoSyncError);
  await assert.rejects(runWorker<'settings'>({ kind: 'settings', ...base }, { env }), (error) => {
    assert.ok(error instanceof SsoSyncError);
    assert.equal(error.code, here.code);
    assert.equal(error.exitCode, here.exitCode);
    assert.equal(error.message, here.message);
    return true;
  });
});

test("the schedule's next time is the next one node-cron reckons", async (t) => {
  const { env } = home(t, '');
  const before = Date.now();
  const next = await runWorker<'next-run'>(
    { kind: 'next-run', logLevel: 'silent', settingsFile: undefined, expression: '*/2 * * * * *' },
    { env },
  );
  assert.ok(next !== null && next > before, `${next} after ${before}`);
  assert.equal(next % 2000, 0, 'an even second');
  assert.ok(next <= Date.now() + 2000);
});

test('a worker that ends without answering is a failure that says how it ended and where its file is', async (t) => {
  const dir = tempDir(t, 'sso-sync-worker-');
  const broken = path.join(dir, 'worker.js');
  writeFileSync(broken, 'process.exit(3);\n');
  await assert.rejects(
    runWorker<'settings'>({ kind: 'settings', logLevel: 'silent', settingsFile: undefined }, { env: {}, file: broken }),
    new RegExp(`the sso-sync worker process for the settings job exited with status 3 before it answered; .*${broken}`),
  );
});

test('a job from a daemon of another version is refused with the advice to restart the daemon', async (t) => {
  const { env } = home(t, '');
  const child = fork(workerFile, [], {
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const messages: WorkerMessage[] = [];
  child.on('message', (m: WorkerMessage) => messages.push(m));
  child.send({ kind: 'settings', protocol: 0, logLevel: 'silent', settingsFile: undefined });
  const code = await new Promise((resolve) => child.on('close', resolve));
  assert.equal(code, 0);
  assert.equal(messages.length, 1);
  const [answer] = messages;
  assert.ok(answer?.kind === 'failed');
  assert.equal(answer.error.code, 'usage');
  assert.match(answer.error.message, /another version than the files installed now.*Restart it/s);
});
