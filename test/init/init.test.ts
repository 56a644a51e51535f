/** The steps of `sso-sync init` and what it says at each failure, on fake edges (the terminal, the file, AWS). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SessionDef } from '../../src/core/types.js';
import { ExitCode, SsoSyncError } from '../../src/errors.js';
import { runInit, type InitDeps, type InitOptions } from '../../src/init/init.js';
import { PromptStopped, type Prompter } from '../../src/init/prompt.js';

const mycorp = '[sso-session mycorp]\nsso_start_url = https://mycorp.awsapps.com/start\nsso_region = eu-west-1\n';

/** A world where every step succeeds unless told; `said` is what init told the person, `asked` its prompts. */
function world(over: Partial<InitDeps> & { text?: string; answers?: string[] } = {}) {
  const said: string[] = [];
  const asked: string[] = [];
  const calls: string[] = [];
  let text = over.text;
  const answers = [...(over.answers ?? [])];
  const prompter: Prompter = {
    ask: (prompt, fallback) => {
      asked.push(prompt);
      const answer = answers.shift();
      if (answer === undefined) return Promise.reject(new PromptStopped('Ctrl-D, the end of the input'));
      if (answer === 'Ctrl-C') return Promise.reject(new PromptStopped('Ctrl-C'));
      return Promise.resolve(answer === '' && fallback !== undefined ? fallback : answer);
    },
  };
  const deps: InitDeps = {
    configFile: '/home/me/.aws/config',
    prompter: over.answers ? prompter : undefined,
    say: (t) => said.push(t),
    readConfig: () => Promise.resolve({ path: '/home/me/.aws/config', realPath: '/home/me/.aws/config', text }),
    settingsSessions: () => Promise.resolve([]),
    write: (_snapshot, rewrite) => {
      const next = rewrite(text);
      if (next !== undefined) text = next;
      return Promise.resolve(next !== undefined);
    },
    signedInUntil: () => Promise.resolve(undefined),
    signIn: (s: SessionDef) => {
      calls.push(`signIn ${s.name}`);
      return Promise.resolve();
    },
    sync: (s: SessionDef) => {
      calls.push(`sync ${s.name}`);
      return Promise.resolve(ExitCode.ok);
    },
    installService: () => {
      calls.push('install');
      return Promise.resolve(ExitCode.ok);
    },
    ...over,
  };
  return { deps, said: () => said.join(''), asked, calls, text: () => text };
}

const flags: InitOptions = {
  startUrl: 'https://mycorp.awsapps.com/start',
  region: 'eu-west-1',
  session: undefined,
  noService: true,
};

/** The SsoSyncError a promise rejects with. */
async function failure(p: Promise<unknown>): Promise<SsoSyncError> {
  try {
    await p;
  } catch (error) {
    assert.ok(error instanceof SsoSyncError, String(error));
    return error;
  }
  return assert.fail('it did not fail');
}

test('a first sync that fails: its exit code, what is set up already, how to sync again; no service offered', async () => {
  const w = world({ answers: [], sync: () => Promise.resolve(ExitCode.aws) });
  assert.equal(await runInit(w.deps, { ...flags, noService: false }), ExitCode.aws);
  assert.match(
    w.said(),
    /The first sync did not complete \(see above\)\. The sso-session mycorp is set up and signed in/,
  );
  assert.match(w.said(), /`sso-sync --once --session mycorp`, then `sso-sync service install`/);
  assert.deepEqual(w.asked, [], 'the service is not offered after a failed sync');

  const refused = world({
    sync: () => Promise.reject(new SsoSyncError('config.refused', 'cannot write in /home/me/.aws: permission denied.')),
  });
  const error = await failure(runInit(refused.deps, flags));
  assert.equal(error.exitCode, ExitCode.configRefused);
  assert.match(error.message, /permission denied\.\nThe sso-session mycorp is set up and signed in; to sync again/);
});

test('a service install that fails or throws: said, and init still ends well (exit 0)', async () => {
  for (const installService of [
    () => Promise.resolve(ExitCode.aws),
    () => Promise.reject(new SsoSyncError('service.failed', 'systemctl was not found.')),
  ]) {
    const w = world({ answers: ['y'], installService });
    assert.equal(await runInit(w.deps, { ...flags, noService: false }), ExitCode.ok);
    assert.match(
      w.said(),
      /init is done all the same: sso-session mycorp is set up, signed in and synced; only the service/,
    );
  }
  const thrown = world({
    answers: ['yes'],
    installService: () => Promise.reject(new SsoSyncError('service.failed', 'no systemctl.')),
  });
  await runInit(thrown.deps, { ...flags, noService: false });
  assert.match(thrown.said(), /sso-sync: no systemctl\.\n/);
});

test('Ctrl-C at the service question: exit 130, and it says what is done and what is not', async () => {
  const w = world({ answers: ['Ctrl-C'] });
  const error = await failure(runInit(w.deps, { ...flags, noService: false }));
  assert.equal(error.exitCode, ExitCode.interrupted);
  assert.match(
    error.message,
    /init stopped at the last prompt \(Ctrl-C\): sso-session mycorp is set up, signed in and synced; only the service is not installed\. To keep/,
  );
  assert.deepEqual(w.calls, ['signIn mycorp', 'sync mycorp']);
});

test('a section of the same name added meanwhile: the same is kept as it is, another is refused with nothing written', async () => {
  const same = world();
  // The file as read first has no session; by the time of the write, it has this one.
  let reads = 0;
  same.deps.readConfig = () => Promise.resolve({ path: 'c', realPath: 'c', text: reads++ === 0 ? '' : mycorp });
  same.deps.write = (_s, rewrite) => Promise.resolve(rewrite(mycorp) !== undefined);
  assert.equal(await runInit(same.deps, flags), ExitCode.ok);
  assert.match(same.said(), /\/home\/me\/\.aws\/config has it already\./);

  const other = world();
  other.deps.write = (_s, rewrite) => Promise.resolve(rewrite(mycorp.replace('eu-west-1', 'us-east-1')) !== undefined);
  const error = await failure(runInit(other.deps, flags));
  assert.equal(error.exitCode, ExitCode.usage);
  assert.match(
    error.message,
    /sso-session mycorp was added to \/home\/me\/\.aws\/config meanwhile, as mycorp \(https:\/\/mycorp\.awsapps\.com\/start, us-east-1\); nothing was changed/,
  );
  assert.deepEqual(other.calls, []);
});

test('a sign-in that fails keeps its code and says the section is saved and how to sign in again', async () => {
  const w = world({
    signIn: () => Promise.reject(new SsoSyncError('sign-in.required', 'the sign-in was denied in the browser.')),
  });
  const error = await failure(runInit(w.deps, flags));
  assert.equal(error.exitCode, ExitCode.signInRequired);
  assert.match(
    error.message,
    /^the sign-in was denied in the browser\.\nThe sso-session mycorp is saved in \/home\/me\/\.aws\/config\. To sign in again: `sso-sync login --session mycorp`/,
  );
  assert.match(w.text() ?? '', /^\[sso-session mycorp\]/);
});

test('a session already signed in is not signed in again', async () => {
  const w = world({
    text: mycorp,
    signedInUntil: () => Promise.resolve('the token is valid until 2026-12-01T10:00:00Z'),
  });
  assert.equal(await runInit(w.deps, { ...flags, startUrl: undefined, region: undefined, session: 'mycorp' }), 0);
  assert.deepEqual(w.calls, ['sync mycorp']);
  assert.match(w.said(), /Signed in to sso-session mycorp already \(the token is valid until/);
});

test('a token that looked good but is refused at the first sync: signed in again, and synced again', async () => {
  const codes: ExitCode[] = [ExitCode.signInRequired, ExitCode.ok];
  const w = world({
    text: mycorp,
    signedInUntil: () => Promise.resolve('until 2026-12-01T10:00:00Z, and is refreshed before then'),
  });
  w.deps.sync = (s: SessionDef) => {
    w.calls.push(`sync ${s.name}`);
    return Promise.resolve(codes.shift() ?? ExitCode.aws);
  };
  assert.equal(await runInit(w.deps, { ...flags, startUrl: undefined, region: undefined, session: 'mycorp' }), 0);
  assert.deepEqual(w.calls, ['sync mycorp', 'signIn mycorp', 'sync mycorp']);
  assert.match(w.said(), /The token of sso-session mycorp is no longer accepted: signing in again\./);
  assert.doesNotMatch(w.said(), /set up and signed in/);

  // Refused again after a new sign-in: the advice is to sign in, not to sync again.
  const again = world({ text: mycorp, sync: () => Promise.resolve(ExitCode.signInRequired) });
  assert.equal(
    await runInit(again.deps, { ...flags, startUrl: undefined, region: undefined, session: 'mycorp' }),
    ExitCode.signInRequired,
  );
  assert.deepEqual(again.calls, ['signIn mycorp']);
  assert.match(again.said(), /The first sync needs a sign-in \(see above\): `sso-sync login --session mycorp`\./);
});

test('without a terminal: the options needed are named, and the sessions there are to go on with', async () => {
  const two = `${mycorp}[sso-session other]\nsso_start_url = https://other.awsapps.com/start\nsso_region = eu-west-1\n`;
  const w = world({ text: two });
  const error = await failure(runInit(w.deps, { ...flags, startUrl: undefined }));
  assert.equal(error.exitCode, ExitCode.usage);
  assert.match(error.message, /its input is not a terminal\. Give --start-url URL \(e\.g\./);
  assert.match(error.message, /To use an sso-session already set up: --session mycorp\|other\./);
  const clash = await failure(
    runInit(w.deps, { ...flags, session: 'other', region: 'us-east-1', startUrl: undefined }),
  );
  assert.match(
    clash.message,
    /sso-session other already exists in .* with another region: other \(https:\/\/other\.awsapps\.com\/start, eu-west-1\)/,
  );
  assert.deepEqual(w.calls, []);
});

test('damaged sso-sync markers are refused before anything is asked (exit 4)', async () => {
  const w = world({ text: '# BEGIN sso-sync mycorp (managed: checksum 00000000)\n', answers: ['x'] });
  const error = await failure(runInit(w.deps, { ...flags, startUrl: undefined }));
  assert.equal(error.exitCode, ExitCode.configRefused);
  assert.match(error.message, /markers in \/home\/me\/\.aws\/config are damaged/);
  assert.deepEqual(w.asked, []);
});

test('a session whose start URL is written another way (a trailing slash) is the same portal: used, not added again', async () => {
  const w = world({ text: mycorp.replace('/start\n', '/start/\n') });
  assert.equal(await runInit(w.deps, flags), ExitCode.ok);
  assert.match(
    w.said(),
    /already has sso-session mycorp \(https:\/\/mycorp\.awsapps\.com\/start\/, eu-west-1\): using it/,
  );
  assert.equal(w.text(), mycorp.replace('/start\n', '/start/\n'), 'nothing added');
});
