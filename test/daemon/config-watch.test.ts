/** What the daemon makes of a change to the AWS config, with the file's content given by the test. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sha256Hex } from '../../src/core/sha256.js';
import { configFacts } from '../../src/daemon/config-facts.js';
import { ConfigWatch } from '../../src/daemon/config-watch.js';
import { SsoSyncError } from '../../src/errors.js';
import { configWithBlocks, recordingLog } from './harness.js';

const file = '/home/me/.aws/config';

function watch(names = ['mycorp']) {
  const { log, lines } = recordingLog();
  const state = { text: undefined as string | undefined | Error, lookedForSessions: 0 };
  const w = new ConfigWatch({
    log,
    configFile: file,
    inspectConfig: () =>
      state.text instanceof Error ? Promise.reject(state.text) : Promise.resolve(configFacts(state.text)),
    names: () => names,
    findNewSessions: () => {
      state.lookedForSessions++;
      return Promise.resolve();
    },
  });
  const change = async (text: string | undefined | Error) => {
    state.text = text;
    await w.changed();
  };
  const events = () => lines.map((l) => l.event);
  return { w, change, events, lines, state };
}

test("the config as a sync left it is sso-sync's own write, and says nothing; the same change twice is one", async () => {
  const { w, change, events, state } = watch(['mycorp', 'other']);
  const written = configWithBlocks('mycorp'); // other is not signed in: no block of its own
  w.synced(sha256Hex(written));
  await change(written);
  assert.deepEqual(events(), []);
  assert.equal(state.lookedForSessions, 0);
  await change('');
  await change('');
  assert.deepEqual(events(), ['block.removed']);
});

test('a removed file, damaged markers, a removed block and a block edited by hand are each reported', async () => {
  const { w, change, lines } = watch(['mycorp', 'other']);
  const whole = configWithBlocks('mycorp', 'other');
  w.synced(sha256Hex(whole));
  await change(undefined);
  await change(whole.replace('# END sso-sync other\n', ''));
  await change(configWithBlocks('other'));
  await change(configWithBlocks('mycorp', 'other').replace('mycorp-prod', 'mine'));
  assert.deepEqual(
    lines.map((l) => [l.event, l.msg]),
    [
      ['config.removed', `${file} was removed; the next sync writes it again`],
      [
        'config.damaged',
        `the sso-sync markers in ${file} were damaged (line 7); syncs refuse the file until they are repaired by hand`,
      ],
      ['block.removed', `the sso-sync block of mycorp is gone from ${file}; the next sync writes it again`],
      [
        'block.edited_by_hand',
        `the sso-sync block of mycorp was edited by hand; the next sync replaces it (with a backup)`,
      ],
    ],
  );
});

test('new sessions are looked for after a change that can be read and is not damaged', async () => {
  const { change, state } = watch();
  await change(undefined);
  await change('# BEGIN sso-sync mycorp (managed: edits inside are replaced; checksum 00000000)\n');
  assert.equal(state.lookedForSessions, 0);
  await change('[sso-session other]\nsso_start_url = https://x.awsapps.com/start\nsso_region = eu-north-1\n');
  assert.equal(state.lookedForSessions, 1);
});

test('a config that cannot be read is reported once per problem, and again after it could be read', async () => {
  const { change, lines } = watch();
  const problem = (what: string) => new SsoSyncError('config.refused', `${file} ${what}`);
  for (const p of ['is UTF-16LE text', 'is UTF-16LE text', 'is a directory', 'is a directory'])
    await change(problem(p));
  await change(configWithBlocks('mycorp'));
  await change(problem('is a directory'));
  assert.deepEqual(
    lines.filter((l) => l.event === 'config.unreadable_now').map((l) => l.msg),
    [
      `${file} is UTF-16LE text (noticed when the file changed)`,
      `${file} is a directory (noticed when the file changed)`,
      `${file} is a directory (noticed when the file changed)`,
    ],
  );
});
