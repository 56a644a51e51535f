/** The region and session-name checks of `sso-sync init`. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkRegion, checkSessionName, freeName } from '../../src/init/answers.js';

test('a region sso-sync knows is taken (in any case, blanks trimmed); a typo gets the nearest', () => {
  assert.deepEqual(checkRegion(' EU-West-1 '), { value: 'eu-west-1' });
  assert.deepEqual(checkRegion('eu-wset-1'), {
    problem: 'eu-wset-1 is not an AWS region; did you mean eu-west-1?',
    meant: 'eu-west-1',
  });
  assert.deepEqual(checkRegion('us-east1'), {
    problem: 'us-east1 is not an AWS region; did you mean us-east-1?',
    meant: 'us-east-1',
  });
  // Of a region's shape but near none: perhaps a region opened since; taken when confirmed (typed twice).
  assert.deepEqual(checkRegion('mars-north-1'), {
    problem:
      'mars-north-1 is not a region sso-sync knows; type it again to use it all the same ' +
      '(a region opened since this sso-sync was made)',
  });
  assert.deepEqual(checkRegion('mars-north-1', 'Mars-North-1'), { value: 'mars-north-1' });
  assert.deepEqual(checkRegion('antarctica', 'antarctica'), {
    problem: 'antarctica is not an AWS region; a region looks like eu-west-1, us-east-1 or ap-southeast-2',
  });
  assert.match((checkRegion('') as { problem: string }).problem, /no region was given/);
});

test('a session name uses only A-Za-z0-9._- and is not taken; a free one is found for a suggestion', () => {
  const taken = (n: string) => (n === 'mycorp' ? 'mycorp exists' : undefined);
  assert.deepEqual(checkSessionName(' work.eu_1-a ', taken), { value: 'work.eu_1-a' });
  assert.deepEqual(checkSessionName('mycorp', taken), { problem: 'mycorp exists' });
  assert.match((checkSessionName('my corp', taken) as { problem: string }).problem, /use only letters, digits/);
  assert.match((checkSessionName('a]b', taken) as { problem: string }).problem, /cannot be an sso-session name/);
  assert.match((checkSessionName('', taken) as { problem: string }).problem, /no name was given/);
  const used = new Set(['mycorp', 'mycorp-2']);
  assert.equal(
    freeName('mycorp', (n) => used.has(n)),
    'mycorp-3',
  );
  assert.equal(
    freeName('other', (n) => used.has(n)),
    'other',
  );
});
