/**
 * The daemon's worker process, forked as the daemon forks it (the installed file, IPC with structured clone): the
 * settings it reads arrive whole, a failure arrives as the same error, the schedule's
 * next time is node-cron's, and a worker that ends without answering, or of another version, is said plainly.
 */
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { packageVersion } from '../../src/cli/package-version.js';
import { runWorker, workerExecArgv, workerFile } from '../../src/cli/worker-process.js';
import type { WorkerMessage } from '../../src/daemon/worker-protocol.js';
import { SsoSyncError } from '../../src/errors.js';
import { loadSettings } from '../../src/settings/load.js';
import { configWithBlocks } from '../daemon/harness.js';
import { tempDir } from '../helpers/temp-dir.js';

/** The version the daemon would send: the installed one. */
const version = packageVersion();

/** A job for workers made up by a test, which only answer or end. */
const nextRunJob = {
  kind: 'next-run' as const,
  version,
  logLevel: 'silent',
  settingsFile: undefined,
  expression: '* * * * *',
};

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
  const base = { version, logLevel: 'silent', settingsFile: undefined };
  const crossed = await runWorker<'settings'>({ kind: 'settings', ...base }, { env });
  const here = await loadSettings(undefined, env);
  assert.deepEqual(crossed, here);
  assert.deepEqual(crossed.rules.accountTrim, ['-(eu|us)$']);
});

test('settings a worker refuses arrive as the same error: its code, exit status and message', async (t) => {
  const { env, file } = home(t, 'schedule: "not a cron"\n');
  const base = { version, logLevel: 'silent', settingsFile: file };
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
    { kind: 'next-run', version, logLevel: 'silent', settingsFile: undefined, expression: '*/2 * * * * *' },
    { env },
  );
  assert.ok(next !== null && next > before, `${next} after ${before}`);
  assert.equal(next % 2000, 0, 'an even second');
  assert.ok(next <= Date.now() + 2000);
});

test("the AWS config's facts a worker finds: its hash, damaged markers, blocks edited by hand, or no file", async (t) => {
  const { env } = home(t, '');
  const configFile = path.join(env.HOME, '.aws', 'config');
  const job = { kind: 'config' as const, version, logLevel: 'silent', settingsFile: undefined, configFile };
  assert.deepEqual(await runWorker<'config'>(job, { env }), { present: false });

  mkdirSync(path.dirname(configFile), { recursive: true });
  const text = configWithBlocks('mycorp', 'other').replace('sso_account_id = 111111111111', 'sso_account_id = 2');
  writeFileSync(configFile, text);
  const facts = await runWorker<'config'>(job, { env });
  assert.ok(facts.present);
  assert.equal(facts.sha256, createHash('sha256').update(text).digest('hex'));
  assert.deepEqual(facts.damagedLines, []);
  assert.deepEqual(facts.blocks, [
    { session: 'mycorp', edited: true },
    { session: 'other', edited: false },
  ]);

  writeFileSync(configFile, text.replace(/^# END .*\n/m, ''));
  const damaged = await runWorker<'config'>(job, { env });
  assert.ok(damaged.present);
  assert.ok(damaged.damagedLines.length > 0, JSON.stringify(damaged));
});

test("the sessions a worker finds are the settings' and the AWS config's sso-sessions", async (t) => {
  const { env } = home(t, '');
  const configFile = path.join(env.HOME, '.aws', 'config');
  mkdirSync(path.dirname(configFile), { recursive: true });
  writeFileSync(
    configFile,
    '[sso-session mycorp]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = eu-west-1\n',
  );
  const settings = await loadSettings(undefined, env);
  const sessions = await runWorker<'sessions'>(
    { kind: 'sessions', version, logLevel: 'silent', settingsFile: undefined, settings },
    { env },
  );
  assert.deepEqual(
    sessions.map((s) => [s.name, s.startUrl, s.region]),
    [['mycorp', 'https://d-1234567890.awsapps.com/start', 'eu-west-1']],
  );
});

test('a worker that ends without answering is a failure that says how it ended, where its file is, and what comes next', async (t) => {
  const dir = tempDir(t, 'sso-sync-worker-');
  const broken = path.join(dir, 'worker.js');
  writeFileSync(broken, 'process.exit(3);\n');
  const job = { kind: 'settings' as const, version, logLevel: 'silent', settingsFile: undefined };
  await assert.rejects(runWorker<'settings'>(job, { env: {}, file: broken }), (error) => {
    assert.ok(error instanceof SsoSyncError);
    assert.equal(error.code, 'worker.failed');
    assert.ok(error.retryable);
    assert.equal(
      error.message,
      'the sso-sync worker process for the settings job exited with status 3 before it answered; the lines above ' +
        `say why. If sso-sync was upgraded or removed meanwhile (its file: ${broken}), restart the daemon; ` +
        'otherwise the previous settings stay; save the file again or send SIGHUP to read it again',
    );
    return true;
  });
  writeFileSync(broken, "process.kill(process.pid, 'SIGKILL');\n");
  await assert.rejects(
    runWorker<'settings'>(job, { env: {}, file: broken }),
    /was killed \(SIGKILL\) before it answered: the system does that when memory runs out/,
  );
});

test('a worker that hangs is ended at its deadline, and the job fails saying so', async (t) => {
  const dir = tempDir(t, 'sso-sync-worker-');
  const hanging = path.join(dir, 'worker.js');
  writeFileSync(hanging, 'setInterval(() => {}, 1000);\n');
  const started = Date.now();
  await assert.rejects(
    runWorker<'next-run'>(nextRunJob, { env: {}, file: hanging, deadlineMs: 1_000 }),
    /^SsoSyncError: the sso-sync worker process for the next-run job did not answer in 1s and was ended; the daemon asks again in a minute/,
  );
  assert.ok(Date.now() - started < 10_000);
});

test('a job from a daemon of another version (an upgrade under it) is refused with the advice to restart it', async (t) => {
  const { env } = home(t, '');
  const child = fork(workerFile, [], {
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const messages: WorkerMessage[] = [];
  child.on('message', (m: WorkerMessage) => messages.push(m));
  child.send({ kind: 'settings', version: '0.0.1', logLevel: 'silent', settingsFile: undefined });
  const code = await new Promise((resolve) => child.on('close', resolve));
  assert.equal(code, 0);
  assert.equal(messages.length, 1);
  const [answer] = messages;
  assert.ok(answer?.kind === 'failed');
  assert.equal(answer.error.code, 'usage');
  assert.match(
    answer.error.message,
    /upgraded under the running daemon \(the daemon is 0\.0\.1, the files installed now are \d/,
  );
  assert.match(
    answer.error.message,
    /Restart it: `systemctl --user restart sso-sync\.service` where it runs as the service; otherwise/,
  );
});

test("a worker gets the daemon's Node options, less those the service units give the daemon", () => {
  const daemon = ['--no-opt', '--max-old-space-size=512', '--no-maglev', '--no-sparkplug', '--max-semi-space-size=1'];
  daemon.push('--expose-gc', '--trace-warnings');
  assert.deepEqual(workerExecArgv(daemon), ['--max-old-space-size=512', '--trace-warnings']);
  assert.deepEqual(workerExecArgv([]), []);
});

test("a worker ended by a reload's SIGHUP before it caught it is started again; one that always is, fails saying so", async (t) => {
  const dir = tempDir(t, 'sso-sync-worker-');
  const worker = path.join(dir, 'worker.cjs');
  const marker = path.join(dir, 'started-once');
  // Ended by SIGHUP (its default action) the first time, as a worker is in its first moments; then it answers.
  writeFileSync(
    worker,
    `const fs = require('node:fs');\n` +
      `if (!fs.existsSync(${JSON.stringify(marker)})) { fs.writeFileSync(${JSON.stringify(marker)}, ''); ` +
      `process.kill(process.pid, 'SIGHUP'); }\n` +
      `process.on('message', () => process.send({ kind: 'done', answer: 42 }, () => process.exit(0)));\n`,
  );
  assert.equal(await runWorker<'next-run'>(nextRunJob, { env: {}, file: worker }), 42);
  assert.ok(existsSync(marker), 'the first worker was ended by SIGHUP');

  writeFileSync(worker, "process.kill(process.pid, 'SIGHUP');\n");
  await assert.rejects(runWorker<'next-run'>(nextRunJob, { env: {}, file: worker }), (error) => {
    assert.ok(error instanceof SsoSyncError);
    assert.equal(error.code, 'worker.failed');
    assert.match(error.message, /was ended by SIGHUP before it answered/);
    return true;
  });
});
