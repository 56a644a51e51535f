/** The emulator's pure parts: page sizes, the token bucket, fault selection (page tokens: page-shapes.test.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { armFaults, nextFault, type ArmedFault } from '../../src/emulator/faults.js';
import { parsePageSize } from '../../src/emulator/pagination.js';
import { bucketConfig, fullBucket, takeToken } from '../../src/emulator/token-bucket.js';

test('max_result accepts only whole numbers 1..100', () => {
  assert.equal(parsePageSize(null, 20), 20);
  assert.equal(parsePageSize('1', 20), 1);
  assert.equal(parsePageSize('100', 20), 100);
  for (const bad of ['0', '101', '-1', '1.5', 'abc', '', ' 5', '1e2', '0100']) {
    assert.equal(parsePageSize(bad, 20), undefined, bad);
  }
});

test('the token bucket allows a burst, then refills at the rate', () => {
  const config = bucketConfig({ ratePerSecond: 2, burst: 3 });
  let state = fullBucket(config, 0);
  const outcomes: boolean[] = [];
  for (const now of [0, 0, 0, 0, 499, 500, 500, 1000, 10_000, 10_000, 10_000, 10_000]) {
    const taken = takeToken(state, config, now);
    outcomes.push(taken.allowed);
    state = taken.state;
  }
  assert.deepEqual(outcomes, [true, true, true, false, false, true, false, true, true, true, true, false]);
  assert.deepEqual(bucketConfig({ ratePerSecond: 5 }), { ratePerSecond: 5, burst: 5 });
  assert.deepEqual(bucketConfig({ ratePerSecond: 0 }), { ratePerSecond: 0, burst: 1 });
  assert.throws(() => bucketConfig({ ratePerSecond: -1 }), RangeError);
  assert.throws(() => bucketConfig({ ratePerSecond: 1, burst: 0 }), RangeError);
});

function run(armed: ArmedFault[], routes: string[]): Array<string | undefined> {
  const actions: Array<string | undefined> = [];
  for (const route of routes) {
    const next = nextFault(armed, route);
    actions.push(next.action);
    armed = next.armed;
  }
  return actions;
}

test('faults fire after `after` matching requests, `times` times, on their route only', () => {
  const armed = armFaults([{ route: 'roles', after: 1, times: 2, action: 'drop' }]);
  assert.deepEqual(run(armed, ['accounts', 'roles', 'accounts', 'roles', 'roles', 'roles']), [
    undefined,
    undefined,
    undefined,
    'drop',
    'drop',
    undefined,
  ]);
  assert.deepEqual(run(armFaults([{ action: 'unavailable' }]), ['accounts', 'roles', 'x']), [
    'unavailable',
    'unavailable',
    'unavailable',
  ]);
});

test('the first fault in its window wins; later ones still count the request', () => {
  const armed = armFaults([
    { times: 1, action: 'server-error' },
    { after: 1, times: 1, action: 'unauthorized' },
  ]);
  assert.deepEqual(run(armed, ['accounts', 'accounts', 'accounts']), ['server-error', 'unauthorized', undefined]);
});

test('invalid fault rules are refused, all problems at once', () => {
  const rules = [
    { action: 'explode' as 'drop', after: -1 },
    { action: 'drop' as const, route: 'users' as 'any', times: 1.5 },
  ];
  const paths = ['faults[0].action', 'faults[0].after', 'faults[1].route', 'faults[1].times'];
  assert.throws(
    () => armFaults(rules),
    (e: Error) => paths.every((p) => e.message.includes(p)),
  );
});
