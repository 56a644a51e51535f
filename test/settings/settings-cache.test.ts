/**
 * The settings cache every command reads the settings through (see src/settings/settings-cache.ts): used only while
 * the settings file's text is exactly the one it was made from (with the same file and sso-sync version); a missing,
 * stale or damaged cache, or a file changed by one byte, means a full load, with the same result (or the same error),
 * and a cache written anew. Taken from the cache, the settings are those a full load gives, whatever keys they use.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { settingsSessions } from '../../src/cli/status-settings.js';
import { parseSettings } from '../../src/settings/check-settings.js';
import { loadSettings } from '../../src/settings/load.js';
import { settingsCacheFile } from '../../src/paths.js';
import { tempDir } from '../helpers/temp-dir.js';

const settingsText =
  'sessions:\n' +
  '  mycorp:\n    start_url: https://d-1234567890.awsapps.com/start\n    region: eu-west-1\n' +
  '  partner:\n    start_url: https://d-0987654321.awsapps.com/start\n    region: us-east-1\n' +
  '    scopes: [sso:account:access, extra:scope]\n' +
  'profiles:\n  name: "{account}-{role}"\n  accounts:\n    "111111111111": { alias: prod, region: eu-central-1 }\n';

/** The cache file's content. */
interface Cache {
  version: string;
  entries: { file: string; text: string; checked: Record<string, unknown>; sessions: unknown[] }[];
}

/** A HOME with a settings file at the default place. */
function home(t: TestContext, text = settingsText) {
  const dir = tempDir(t, 'sso-sync-settings-cache-');
  const env: NodeJS.ProcessEnv = { HOME: dir };
  const file = path.join(dir, '.config', 'sso-sync', 'settings.yaml');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  const cacheFile = settingsCacheFile(env);
  const readCache = () => JSON.parse(readFileSync(cacheFile, 'utf8')) as Cache;
  /** Puts `sessions` in place of those kept for the file loaded last. */
  const plant = (sessions: unknown[]) => {
    const cache = readCache();
    writeFileSync(cacheFile, JSON.stringify({ ...cache, entries: [{ ...cache.entries[0], sessions }] }));
  };
  /** What a full load finds, as status takes it. */
  const fullLoad = async () => {
    const s = await loadSettings(undefined, env);
    return { sessions: s.sessions, source: s.source };
  };
  return { env, file, cacheFile, readCache, plant, fullLoad };
}

/** A session that no settings file here defines: seen in a result only if a cache holding it was used. */
const planted = {
  name: 'planted',
  startUrl: 'https://d-5555555555.awsapps.com/start',
  region: 'eu-west-3',
  scopes: [],
};

test('no cache: a full load, the sessions loadSettings finds, and the cache written (0600)', async (t) => {
  const h = home(t);
  const got = await settingsSessions(h.env, undefined);
  assert.deepEqual(
    got.sessions.map((s) => [s.name, s.region, s.scopes]),
    [
      ['mycorp', 'eu-west-1', ['sso:account:access']],
      ['partner', 'us-east-1', ['sso:account:access', 'extra:scope']],
    ],
  );
  assert.equal(got.source, h.file);
  assert.deepEqual(got, await h.fullLoad());
  assert.equal(statSync(h.cacheFile).mode & 0o777, 0o600);
  assert.deepEqual(
    h.readCache().entries.map((e) => [e.file, e.text]),
    [[h.file, settingsText]],
  );
  // Read again, from the cache this time: the same.
  assert.deepEqual(await settingsSessions(h.env, undefined), got);
});

test('the cache is what is read while the text is the one it was made from', async (t) => {
  const h = home(t);
  await settingsSessions(h.env, undefined);
  h.plant([planted]);
  assert.deepEqual(await settingsSessions(h.env, undefined), { sessions: [planted], source: h.file });
});

test('a settings file changed by one byte: a full load, its new sessions, and the cache made anew', async (t) => {
  const h = home(t);
  await settingsSessions(h.env, undefined);
  h.plant([planted]);
  const edited = settingsText.replace('region: eu-west-1', 'region: eu-west-2');
  assert.equal(edited.length, settingsText.length);
  writeFileSync(h.file, edited);
  const got = await settingsSessions(h.env, undefined);
  assert.deepEqual(got, await h.fullLoad());
  assert.equal(got.sessions[0]?.region, 'eu-west-2');
  assert.deepEqual(
    h.readCache().entries.map((e) => e.text),
    [edited],
  );
  // One byte that makes the file invalid: the full load's error, word for word; the cache keeps the valid text.
  const broken = edited.replace('start_url: https://d-0', 'start_urk: https://d-0');
  writeFileSync(h.file, broken);
  const error = await loadSettings(undefined, h.env).then(
    () => assert.fail('the broken file loads'),
    (e: unknown) => e as Error,
  );
  assert.match(error.message, /unknown key start_urk \(did you mean start_url\?\)/);
  await assert.rejects(settingsSessions(h.env, undefined), { message: error.message });
  assert.equal(h.readCache().entries[0]?.text, edited, 'a file that does not pass is never kept');
});

test('a damaged, foreign or stale cache is not used: a full load, the same result, and a good cache again', async (t) => {
  const h = home(t);
  await settingsSessions(h.env, undefined);
  const good = h.readCache();
  const entry = good.entries[0]!;
  const cases: [string, () => void][] = [
    [
      'cut short',
      () =>
        writeFileSync(
          h.cacheFile,
          JSON.stringify({ ...good, entries: [{ ...entry, sessions: [planted] }] }).slice(0, 90),
        ),
    ],
    ['empty', () => writeFileSync(h.cacheFile, '')],
    ['not an object', () => writeFileSync(h.cacheFile, 'null')],
    [
      'of the format before (sessions only)',
      () =>
        writeFileSync(
          h.cacheFile,
          JSON.stringify({ ...good, format: 1, entries: [{ ...entry, checked: undefined, sessions: [planted] }] }),
        ),
    ],
    [
      'of the format before, settings and all',
      () =>
        writeFileSync(
          h.cacheFile,
          JSON.stringify({ ...good, format: 1, entries: [{ ...entry, sessions: [planted] }] }),
        ),
    ],
    [
      'made on another Node (its regular expressions decide which trims pass)',
      () =>
        writeFileSync(
          h.cacheFile,
          JSON.stringify({
            ...good,
            version: good.version.replace(/on Node \S+$/, 'on Node v0.0.0'),
            entries: [{ ...entry, sessions: [planted] }],
          }),
        ),
    ],
    [
      'a link to a file of the right content',
      () => {
        const elsewhere = path.join(path.dirname(h.file), 'elsewhere.json');
        writeFileSync(elsewhere, JSON.stringify({ ...good, entries: [{ ...entry, sessions: [planted] }] }));
        rmSync(h.cacheFile);
        symlinkSync(elsewhere, h.cacheFile);
      },
    ],
    [
      'a named pipe (not waited on)',
      () => {
        rmSync(h.cacheFile);
        execFileSync('mkfifo', [h.cacheFile]);
      },
    ],
    [
      'checked settings that are not an object',
      () =>
        writeFileSync(
          h.cacheFile,
          JSON.stringify({ ...good, entries: [{ ...entry, checked: null, sessions: [planted] }] }),
        ),
    ],
    [
      'of another sso-sync version',
      () =>
        writeFileSync(
          h.cacheFile,
          JSON.stringify({ ...good, version: '0.0.1-other', entries: [{ ...entry, sessions: [planted] }] }),
        ),
    ],
    [
      'of another settings file with the same text',
      () =>
        writeFileSync(
          h.cacheFile,
          JSON.stringify({ ...good, entries: [{ ...entry, file: '/elsewhere.yaml', sessions: [planted] }] }),
        ),
    ],
    [
      'a session of the wrong shape',
      () =>
        writeFileSync(
          h.cacheFile,
          JSON.stringify({ ...good, entries: [{ ...entry, sessions: [{ ...planted, scopes: 'sso' }] }] }),
        ),
    ],
    [
      'sessions not a list',
      () => writeFileSync(h.cacheFile, JSON.stringify({ ...good, entries: [{ ...entry, sessions: {} }] })),
    ],
    ['entries not a list', () => writeFileSync(h.cacheFile, JSON.stringify({ ...good, entries: entry }))],
    [
      'a directory',
      () => {
        rmSync(h.cacheFile);
        mkdirSync(h.cacheFile);
      },
    ],
  ];
  const expected = await h.fullLoad();
  for (const [what, damage] of cases) {
    damage();
    assert.deepEqual(await settingsSessions(h.env, undefined), expected, what);
    if (what === 'a directory') continue;
    if (!what.startsWith('a link')) assert.deepEqual(h.readCache().entries[0], entry, `${what}: written anew`);
    rmSync(h.cacheFile, { force: true });
    writeFileSync(h.cacheFile, JSON.stringify(good));
  }
});

test('a cache another user could have written is not used: the settings taken from it would reach the AWS config', async (t) => {
  const h = home(t);
  await loadSettings(undefined, h.env);
  const full = await h.fullLoad();
  const cache = h.readCache();
  const tampered = JSON.stringify({ ...cache, entries: [{ ...cache.entries[0], sessions: [planted] }] });
  writeFileSync(h.cacheFile, tampered);
  assert.deepEqual((await settingsSessions(h.env, undefined)).sessions, [planted], "this user's own: used");
  // Writable by the group or by everyone: not used (a full load, which writes a cache of this user's anew).
  for (const mode of [0o666, 0o620]) {
    writeFileSync(h.cacheFile, tampered);
    chmodSync(h.cacheFile, mode);
    assert.deepEqual(await settingsSessions(h.env, undefined), full, `mode ${mode.toString(8)}`);
    assert.equal(statSync(h.cacheFile).mode & 0o777, 0o600);
  }
  // In a directory others may write in (made by someone else first under a shared directory, say): neither read
  // nor written.
  writeFileSync(h.cacheFile, tampered);
  chmodSync(h.cacheFile, 0o600);
  chmodSync(path.dirname(h.cacheFile), 0o777);
  assert.deepEqual(await settingsSessions(h.env, undefined), full, 'a directory everyone may write in');
  assert.equal(readFileSync(h.cacheFile, 'utf8'), tampered, 'nothing written there');
  chmodSync(path.dirname(h.cacheFile), 0o700);
  // Another user's (only root can make one here).
  if (process.getuid?.() === 0) {
    writeFileSync(h.cacheFile, tampered);
    chmodSync(h.cacheFile, 0o600);
    chownSync(h.cacheFile, 65534, 65534);
    assert.deepEqual(await settingsSessions(h.env, undefined), full, 'owned by nobody');
    // Written anew, it stays its owner's (as every file sso-sync replaces does: `sudo sso-sync` takes no user's
    // file), so it is never used here.
    writeFileSync(h.cacheFile, tampered);
    assert.equal(statSync(h.cacheFile).uid, 65534);
    assert.deepEqual(await settingsSessions(h.env, undefined), full, 'still owned by nobody');
  }
});

test('a cache that cannot be written costs only time: status still gets the sessions', async (t) => {
  const h = home(t);
  // A file where the cache directory would be.
  const blocked = path.join(path.dirname(h.file), 'not-a-dir');
  writeFileSync(blocked, '');
  const env = { ...h.env, XDG_CACHE_HOME: blocked };
  assert.deepEqual(await settingsSessions(env, undefined), await h.fullLoad());
  assert.deepEqual(await settingsSessions(env, undefined), await h.fullLoad());
});

test('no settings file: no sessions at the default place, the full load’s refusal for one named', async (t) => {
  const h = home(t);
  rmSync(h.file);
  assert.deepEqual(await settingsSessions(h.env, undefined), { sessions: [], source: undefined });
  const named = path.join(path.dirname(h.file), 'none.yaml');
  await assert.rejects(settingsSessions(h.env, named), /cannot read the settings file .*none\.yaml: it does not exist/);
  // A named pipe in the settings file's place is refused at once, as the full load refuses it, not read.
  execFileSync('mkfifo', [h.file]);
  await assert.rejects(settingsSessions(h.env, undefined), /it is a named pipe, not a file/);
});

test('settings files named with --settings are kept beside the default one, each under its own path', async (t) => {
  const h = home(t);
  const dir = path.dirname(h.file);
  const others = ['a', 'b', 'c', 'd'].map((n) => path.join(dir, `${n}.yaml`));
  for (const other of others)
    writeFileSync(other, settingsText.replace('eu-west-1', `eu-west-${others.indexOf(other) + 1}`));
  await settingsSessions(h.env, undefined);
  await settingsSessions(h.env, others[0]);
  // Both are kept: reading either again uses the cache.
  const cache = h.readCache();
  assert.deepEqual(
    cache.entries.map((e) => e.file),
    [others[0], h.file],
  );
  const [first, second] = cache.entries;
  writeFileSync(
    h.cacheFile,
    JSON.stringify({
      ...cache,
      entries: [
        { ...first, sessions: [planted] },
        { ...second, sessions: [planted] },
      ],
    }),
  );
  assert.deepEqual((await settingsSessions(h.env, others[0])).sessions, [planted]);
  assert.deepEqual((await settingsSessions(h.env, undefined)).sessions, [planted]);
  // The same text at another path is not taken from the entry of the first.
  writeFileSync(others[1]!, settingsText);
  const got = await settingsSessions(h.env, others[1]);
  assert.equal(got.source, others[1]);
  assert.equal(got.sessions[0]?.region, 'eu-west-1');
  // The last four files loaded are kept: the default file, loaded first, makes way.
  for (const other of others.slice(2)) await settingsSessions(h.env, other);
  assert.deepEqual(
    h.readCache().entries.map((e) => e.file),
    [others[3], others[2], others[1], others[0]],
  );
});

/** Settings that use every kind of key: naming rules and overrides, regions, chains, a style, durations, sync. */
const everyKey = `schedule: "0 9 * * 1-5"
splay: 10m
sessions:
  mycorp:
    start_url: https://d-1234567890.awsapps.com/start
    region: eu-north-1
    scopes: [sso:account:access, extra:scope]
profiles:
  name: "{account_name}.{role}.{region_short}"
  case: keep
  role_case: lower
  strip_prefix: [mycorp-]
  account_trim: ["-(eu|us)$"]
  role_trim: [Access$]
  role_alias: { AdministratorAccess: admin, ReadOnlyAccess: "" }
  exclude_roles: ["*Billing*"]
  exclude_accounts: ["*sandbox*"]
  regions:
    - { match: "prod*", region: [eu-west-1, us-east-1] }
  default_region: [eu-north-1]
  set: { duration_seconds: 43200, output: json }
  style: credential-process
  accounts:
    "111111111111":
      alias: prod
      region: eu-central-1
      set: { output: text }
      roles:
        AdministratorAccess: { alias: admin, region: [us-east-1, us-west-2] }
        "Billing*": { exclude: true }
chains:
  - name: "{profile}-deployer"
    role_arn: "arn:aws:iam::{account_id}:role/Deployer"
    roles: [AdministratorAccess]
    duration_seconds: 3600
sync: { concurrency: 4, max_removal_share: 0.3, request_timeout_seconds: 20, roles_max_age: 1h30m }
`;

test('every command takes the settings from the cache while the text is the one kept: as a full load gives them', async (t) => {
  for (const text of [settingsText, everyKey, 'schedule: "*/30 * * * *"\n', '']) {
    const h = home(t, text);
    const full = await loadSettings(undefined, h.env);
    assert.deepEqual(full, parseSettings(text, h.file), 'a full load the first time');
    assert.equal(h.readCache().entries[0]?.text, text);
    assert.deepEqual(await loadSettings(undefined, h.env), full, 'the same from the cache');
    // Taken from the cache indeed: what is planted there is what loads.
    const cache = h.readCache();
    const entry = cache.entries[0]!;
    writeFileSync(
      h.cacheFile,
      JSON.stringify({ ...cache, entries: [{ ...entry, checked: { ...entry.checked, schedule: '5 4 * * *' } }] }),
    );
    assert.equal((await loadSettings(undefined, h.env)).schedule, '5 4 * * *');
    // Kept settings of a shape this code cannot take (a build of the same version with another schema): a full load.
    writeFileSync(h.cacheFile, JSON.stringify({ ...cache, entries: [{ ...entry, checked: { chains: 5 } }] }));
    assert.deepEqual(await loadSettings(undefined, h.env), full, 'a shape it cannot take');
    // One byte more in the file: a full load again.
    writeFileSync(h.file, `${text}\n`);
    assert.deepEqual(await loadSettings(undefined, h.env), parseSettings(`${text}\n`, h.file));
  }
});

test('a settings file the full load refuses is refused every time, word for word, and never kept', async (t) => {
  const h = home(t, everyKey.replace('style: credential-process', 'style: credential-proces'));
  const first = await loadSettings(undefined, h.env).then(
    () => assert.fail('the file loads'),
    (e: unknown) => e as Error,
  );
  assert.match(first.message, /profiles\.style/);
  await assert.rejects(loadSettings(undefined, h.env), { message: first.message });
  assert.throws(() => readFileSync(h.cacheFile), { code: 'ENOENT' });
});
