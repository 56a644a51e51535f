/** The `npm run emulator` entry point: flags, what it prints, and a clean stop on SIGTERM. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ListAccountsCommand, SSOClient } from '@aws-sdk/client-sso';
import { parseEmulatorArgs } from '../../src/emulator/cli-args.js';

const MAIN = fileURLToPath(new URL('../../src/emulator/main.js', import.meta.url));

test('flags parse into a configuration', () => {
  assert.deepEqual(parseEmulatorArgs([]), {
    kind: 'run',
    config: { port: 0, fixture: { kind: 'builtin' }, latencyMs: 0, tokenLifetimeSeconds: 3600 },
  });
  const parsed = parseEmulatorArgs(['--accounts', '500', '--roles', '4', '--rate', '2.5', '--burst', '10', '--latency', '30']);
  assert.deepEqual(parsed, {
    kind: 'run',
    config: {
      port: 0,
      fixture: { kind: 'generated', accounts: 500, rolesPerAccount: 4, seed: 1 },
      latencyMs: 30,
      tokenLifetimeSeconds: 3600,
      throttle: { ratePerSecond: 2.5, burst: 10 },
    },
  });
  assert.deepEqual(parseEmulatorArgs(['--help']), { kind: 'help' });
});

test('bad flags are all reported', () => {
  const parsed = parseEmulatorArgs(['--port', '70000', '--fixture', 'a.json', '--accounts', 'x', '--burst', '2', '--rate', '0']);
  assert.equal(parsed.kind, 'error');
  const problems = parsed.kind === 'error' ? parsed.problems.join('\n') : '';
  for (const expected of ['--port', '--accounts must', '--rate', '--fixture and --accounts']) {
    assert.ok(problems.includes(expected), `${expected} in ${problems}`);
  }
  assert.equal(parseEmulatorArgs(['--bogus']).kind, 'error');
  assert.equal(parseEmulatorArgs(['--roles', '3']).kind, 'error');
});

test('invalid flags exit 2 with a message', async () => {
  const child = spawn(process.execPath, [MAIN, '--latency', 'soon'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = await once(child, 'exit');
  assert.equal(code, 2);
  assert.match(stderr, /--latency must be a whole number/);
  assert.match(stderr, /usage:/);
});

test('it prints the endpoint and a working token, and stops cleanly on SIGTERM', async () => {
  const child = spawn(process.execPath, [MAIN, '--accounts', '30', '--roles', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  await new Promise<void>((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`exited early with ${code}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('Ctrl+C')) resolve();
    });
  });
  child.removeAllListeners('exit');
  const endpoint = /AWS_ENDPOINT_URL_SSO=(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
  const token = /^ {2}(aoa\S+)$/m.exec(stdout)?.[1];
  assert.ok(endpoint && token, stdout);
  assert.match(stdout, /expires \d{4}-\d\d-\d\dT/);

  const client = new SSOClient({ region: 'eu-north-1', endpoint, maxAttempts: 1 });
  try {
    const page = await client.send(new ListAccountsCommand({ accessToken: token, maxResults: 100 }));
    assert.equal(page.accountList?.length, 30);
  } finally {
    client.destroy();
  }
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = await exited;
  assert.equal(code, 0);
});
