/** The Node.js versions sso-sync runs on: checked at start, in one line, before anything else loads. */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { minimumNodeMajor, nodeMajor, unsupportedNode } from '../../src/cli/node-version.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test('Node.js 22 and later are supported; older ones are named, with the version running and what to do', () => {
  assert.equal(minimumNodeMajor, 22);
  for (const v of ['22.0.0', '24.21.0', 'v26.1.0']) assert.equal(unsupportedNode(v, '/usr/bin/node'), undefined, v);
  const problem = unsupportedNode('20.20.2', '/usr/bin/node');
  assert.match(
    String(problem),
    /^sso-sync needs Node\.js 22 or newer, and this is Node\.js 20\.20\.2 \(\/usr\/bin\/node\)\. /,
  );
  assert.match(String(problem), /Install Node\.js 22 or 24/);
  assert.equal(nodeMajor('v20.1.0'), 20);
});

test('the command refuses an old Node.js in one line and exits 2, whatever the command', (t) => {
  // The machine's own Node, found outside the project (npm puts the project's Node 24 first on PATH).
  const old = ['/usr/bin/node', '/usr/local/bin/node'].find(
    (p) => existsSync(p) && nodeMajor(spawnSync(p, ['--version'], { encoding: 'utf8' }).stdout) < minimumNodeMajor,
  );
  if (old === undefined) {
    t.skip('no Node.js older than 22 on this machine to run the command with');
    return;
  }
  for (const args of [['--help'], ['status'], ['--once']]) {
    const result: SpawnSyncReturns<string> = spawnSync(old, [cli, ...args], {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent' },
    });
    assert.equal(result.status, 2, args.join(' '));
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^sso-sync: sso-sync needs Node\.js 22 or newer, and this is Node\.js \d+\.\d+\.\d+ /);
    assert.equal(result.stderr.trim().split('\n').length, 1, "one line, without the AWS SDK's warning");
  }
});
