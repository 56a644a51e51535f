/** One sync cycle in process, for what only happens between the read and the rename. */
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { pino } from 'pino';
import { TokenKeeper } from '../../src/auth/token-keeper.js';
import { createOidcApi } from '../../src/aws/oidc-api.js';
import { createSsoApi } from '../../src/aws/sso-api.js';
import { systemClock } from '../../src/clock/clock.js';
import { builtinFixture } from '../../src/emulator/fixture.js';
import { startEmulator } from '../../src/emulator/server.js';
import { runOnce, type SyncDeps } from '../../src/sync/run-once.js';
import { writeToken } from '../../src/token/cache.js';

const a = '[default]\nregion = eu-west-1\n\n[sso-session mycorp]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = eu-north-1\n';

/** A signed-in home whose config holds `a`, and a sync of it with the writer's test hooks. */
async function setUp(t: TestContext) {
  const emulator = await startEmulator({ fixture: builtinFixture() });
  const home = mkdtempSync(path.join(os.tmpdir(), 'sso-sync-once-'));
  t.after(async () => {
    await emulator.stop();
    rmSync(home, { recursive: true, force: true });
  });
  const config = path.join(home, '.aws', 'config');
  mkdirSync(path.dirname(config), { recursive: true });
  writeFileSync(config, a);
  const { accessToken, expiresAt } = emulator.issueAccessToken({ expiresInSeconds: 3600 });
  await writeToken(home, 'mycorp', { startUrl: 'https://d-1234567890.awsapps.com/start', region: 'eu-north-1', accessToken, expiresAt, refreshToken: undefined, clientId: undefined, clientSecret: undefined, registrationExpiresAt: undefined, other: {} });
  const env = { HOME: home, AWS_CONFIG_FILE: config, XDG_STATE_HOME: path.join(home, 'state'), XDG_CONFIG_HOME: path.join(home, 'cfg') };
  const log = pino({ level: 'silent' });
  const previous = process.env.AWS_ENDPOINT_URL_SSO;
  process.env.AWS_ENDPOINT_URL_SSO = emulator.url; // the SSO client reads its endpoint override from the process
  t.after(() => (previous === undefined ? delete process.env.AWS_ENDPOINT_URL_SSO : (process.env.AWS_ENDPOINT_URL_SSO = previous)));
  const sync = (writeHooks: SyncDeps['writeHooks']) =>
    runOnce(
      {
        env,
        clock: systemClock,
        log,
        createApi: (region) => createSsoApi(region, systemClock),
        createKeeper: (refreshWindowMs) => new TokenKeeper({ home, clock: systemClock, log, oidc: (r) => createOidcApi(r, env), refreshWindowMs, lockDir: path.join(home, 'locks') }),
        out: () => undefined,
        writeHooks,
      },
      { sessions: [], dryRun: false, allowMassRemoval: false, settingsFile: undefined },
    );
  return { config, sync };
}

test('a file changed and changed back while sso-sync writes keeps the person\'s content, not the intermediate one', async (t) => {
  const { config, sync } = await setUp(t);
  const b = a.replace('region = eu-west-1', 'region = us-east-1   # a mistake, undone a moment later');
  let step = 0;
  // First attempt: someone writes B. Second attempt: they change it back to A.
  const report = await sync({ afterTempWritten: async () => writeFileSync(config, ++step === 1 ? b : step === 2 ? a : readFileSync(config)) });
  assert.equal(report.exitCode, 0);
  assert.equal(step, 3, 'the merge was redone twice');
  const text = readFileSync(config, 'utf8');
  assert.ok(text.startsWith(a), `the person's content A is kept:\n${text.slice(0, 200)}`);
  assert.match(text, /# BEGIN sso-sync mycorp/);
});

test('a change rescued from the replaced file that a newer change keeps from being merged is saved in the backups', async (t) => {
  const { config, sync } = await setUp(t);
  const other = openSync(config, 'r+');
  t.after(() => closeSync(other));
  const rescued = a.replace('region = eu-west-1', 'region = ap-south-1');
  let renames = 0;
  let temps = 0;
  const failed = await sync({
    // The other program writes in place into the file sso-sync has just replaced...
    afterRename: async () => {
      if (renames++ > 0) return;
      ftruncateSync(other, 0);
      writeSync(other, rescued, 0);
    },
    // ...and while that change is merged, another change lands on the path.
    afterTempWritten: async () => {
      if (temps++ === 1) writeFileSync(config, `${readFileSync(config, 'utf8')}\n[profile newer]\nregion = us-east-1\n`);
    },
  }).then(
    () => assert.fail('the sync cannot say all was merged'),
    (error: Error) => error,
  );
  const saved = /saved in (\S+)\)/.exec(failed.message)?.[1];
  assert.ok(saved, failed.message);
  assert.match(failed.message, /the profiles are written, but a change another program made at the same moment may be missing/);
  assert.equal(path.dirname(saved), path.join(path.dirname(config), '..', 'state', 'sso-sync', 'backups'));
  assert.equal(readFileSync(saved, 'utf8'), rescued, 'the rescued change is kept in the backup');
  assert.match(readFileSync(config, 'utf8'), /\[profile newer\]/, 'the newer change stays in the config');
});
