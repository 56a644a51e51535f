/**
 * `sso-sync init`: the first run for a person with nothing set up. Chooses the sso-session (one already in the
 * config, or a new one from the start URL, region and name asked for or given as options), adds its section to the
 * AWS config through the atomic writer, signs in, runs the first sync and offers the background service.
 * Everything outside (the terminal, the file, AWS, the service manager) comes in through InitDeps.
 */
import type { ConfigSnapshot, Rewrite } from '../config-file/config-file.js';
import { scanConfig } from '../core/config-text.js';
import type { SessionDef } from '../core/types.js';
import { ExitCode, SsoSyncError } from '../errors.js';
import { damageError } from '../sync/run-once.js';
import { unknownRegion } from '../settings/regions.js';
import { sessionsFromConfig } from '../sync/sessions.js';
import { checkRegion, checkSessionName, freeName, type Checked } from './answers.js';
import { PromptStopped, type Prompter } from './prompt.js';
import { withSessionSection, sessionSectionText, type NewSession } from './session-section.js';
import { parseStartUrl, startUrlExample, type StartUrl } from './start-url.js';

/** What the command line gave. */
export interface InitOptions {
  startUrl?: string | undefined;
  region?: string | undefined;
  session?: string | undefined;
  noService: boolean;
}

/** The outside world of `sso-sync init`. */
export interface InitDeps {
  /** The AWS config's path, as the person knows it. */
  configFile: string;
  /** Asks at the terminal; undefined when the input is not a terminal. */
  prompter: Prompter | undefined;
  /** Text for the person (stderr). */
  say: (text: string) => void;
  readConfig: () => Promise<ConfigSnapshot>;
  /** The sessions the settings file defines. */
  settingsSessions: () => Promise<SessionDef[]>;
  /** Writes through the atomic writer; resolves true when the file was written. */
  write: (snapshot: ConfigSnapshot, rewrite: Rewrite) => Promise<boolean>;
  /** When the session already has a token good for a while: until when, in words. */
  signedInUntil: (session: SessionDef) => Promise<string | undefined>;
  signIn: (session: SessionDef) => Promise<void>;
  /** The first sync of the session, printing what it adds; resolves with its exit code. */
  sync: (session: SessionDef) => Promise<ExitCode>;
  installService: () => Promise<ExitCode>;
}

/** The session chosen, and whether its section is still to be written. */
interface Chosen {
  session: SessionDef;
  isNew: boolean;
}

const scopes = ['sso:account:access'];
const describe = (s: SessionDef) => `${s.name} (${s.startUrl}, ${s.region})`;

/** A start URL as a config may hold it (`…/start/`, say), in the canonical form init writes. */
function canonical(startUrl: string): string {
  const parsed = parseStartUrl(startUrl);
  return 'url' in parsed ? parsed.url : startUrl;
}

/** Whether a session is on this portal, however its start URL is written. */
const startsAt = (session: SessionDef, url: StartUrl) => canonical(session.startUrl) === url.url;

/** Runs init; resolves with the exit code, throws an SsoSyncError a person can act on. */
export async function runInit(deps: InitDeps, options: InitOptions): Promise<ExitCode> {
  const { known, incomplete } = await knownSessions(deps);
  const unusable = options.session === undefined ? undefined : incomplete.get(options.session);
  if (unusable !== undefined) throw incompleteSection(deps.configFile, options.session!, unusable);
  const chosen = fromOptions(deps, options, known, incomplete) ?? (await fromPrompts(deps, options, known, incomplete));
  if (chosen.isNew) await addSection(deps, chosen.session);
  const signedInNow = await signIn(deps, chosen);
  let code = await firstSync(deps, chosen.session, signedInNow);
  if (code === ExitCode.signInRequired && !signedInNow) {
    // The token in the cache looked good, but the service no longer takes it (a session ended, a token revoked).
    deps.say(`The token of sso-session ${chosen.session.name} is no longer accepted: signing in again.\n`);
    await signIn(deps, { ...chosen, isNew: true });
    code = await firstSync(deps, chosen.session, true);
  }
  if (code !== ExitCode.ok) return code;
  await offerService(deps, options, chosen.session);
  deps.say('Done. `sso-sync status` shows how things stand; `sso-sync log` what changed.\n');
  return ExitCode.ok;
}

/**
 * The sessions already known: the config's (outside sso-sync's blocks) and the settings'; and the config's
 * sections no sync can use (a half-finished `aws configure sso-session`), by name with what they lack: a second
 * section of that name would leave a file the AWS CLI refuses to read.
 */
async function knownSessions(deps: InitDeps): Promise<{ known: SessionDef[]; incomplete: Map<string, string> }> {
  const scan = scanConfig((await deps.readConfig()).text ?? '');
  if (scan.damage.length > 0) throw damageError(deps.configFile, scan.damage);
  const { sessions: fromConfig, problems } = sessionsFromConfig(scan.outside);
  const fromSettings = (await deps.settingsSessions()).filter((s) => !fromConfig.some((c) => c.name === s.name));
  return { known: [...fromConfig, ...fromSettings], incomplete: new Map(problems.map((p) => [p.session, p.problem])) };
}

/** The refusal for a name an incomplete section of the config has. */
function incompleteSection(configFile: string, name: string, problem: string): SsoSyncError {
  return new SsoSyncError(
    'usage',
    `${configFile} has an [sso-session ${name}] section already, but ${problem}. Complete it (` +
      `\`aws configure sso-session\` asks for what is missing) or remove it, or give init another --session name; ` +
      'nothing was changed.',
  );
}

/** An option's value checked, or a usage error (exit 2) that says what a good one looks like. */
function fromOption<T>(checked: T | { problem: string }, option: string): T {
  if (typeof checked === 'object' && checked !== null && 'problem' in checked)
    throw new SsoSyncError('usage', `--${option}: ${checked.problem}${/[.?!]$/.test(checked.problem) ? '' : '.'}`);
  return checked;
}

/** The session the options name or describe in full; undefined when something is still to be asked. */
function fromOptions(
  deps: InitDeps,
  options: InitOptions,
  known: SessionDef[],
  incomplete: ReadonlyMap<string, string>,
): Chosen | undefined {
  const url = options.startUrl === undefined ? undefined : fromOption(parseStartUrl(options.startUrl), 'start-url');
  const region =
    options.region === undefined
      ? undefined
      : fromOption<{ value: string }>(checkRegion(options.region, options.region), 'region').value;
  const unknown = region === undefined ? undefined : unknownRegion(region, '--region');
  if (unknown !== undefined) deps.say(`sso-sync: ${unknown}.\n`);
  const named = known.find((s) => s.name === options.session);
  if (named) return { session: sameAsGiven(deps, named, url, region), isNew: false };
  const sameUrl = url && known.find((s) => startsAt(s, url) && (region === undefined || s.region === region));
  if (sameUrl && options.session === undefined) {
    deps.say(`${deps.configFile} already has sso-session ${describe(sameUrl)}: using it.\n`);
    return { session: sameUrl, isNew: false };
  }
  if (options.session !== undefined)
    fromOption(
      checkSessionName(options.session, () => undefined),
      'session',
    );
  if (url && region) {
    const name = options.session ?? freeName(url.name, (n) => incomplete.has(n) || known.some((s) => s.name === n));
    return { session: { name, startUrl: url.url, region, scopes }, isNew: true };
  }
  if (deps.prompter) return undefined;
  throw noTerminal(deps.configFile, known, options);
}

/** An existing session named by --session, checked against the --start-url and --region given with it. */
function sameAsGiven(deps: InitDeps, s: SessionDef, url: StartUrl | undefined, region: string | undefined) {
  const differs = [url && !startsAt(s, url) && 'start URL', region && region !== s.region && 'region'];
  const what = differs.filter((d): d is string => typeof d === 'string');
  if (what.length > 0) {
    throw new SsoSyncError(
      'usage',
      `sso-session ${s.name} already exists in ${deps.configFile} with another ${what.join(' and ')}: ` +
        `${describe(s)}. Leave out --start-url and --region to use it, or choose another --session name.`,
    );
  }
  return s;
}

/** Without a terminal, init cannot ask: the options it needs, by name. */
function noTerminal(configFile: string, known: SessionDef[], options: InitOptions): SsoSyncError {
  const missing = [!options.startUrl && '--start-url URL', !options.region && '--region REGION'].filter(Boolean);
  const existing =
    known.length > 0 ? ` To use an sso-session already set up: --session ${known.map((s) => s.name).join('|')}.` : '';
  return new SsoSyncError(
    'usage',
    `sso-sync init asks questions, but its input is not a terminal. Give ${missing.join(' and ')} ` +
      '(e.g. `sso-sync init --start-url https://d-1234567890.awsapps.com/start --region eu-west-1 ' +
      `--session mycorp --no-service\`); nothing was changed in ${configFile}.${existing}`,
  );
}

/** Asks what the options left open; Ctrl-C or Ctrl-D at a prompt ends init with nothing changed. */
async function fromPrompts(
  deps: InitDeps,
  options: InitOptions,
  known: SessionDef[],
  incomplete: ReadonlyMap<string, string>,
): Promise<Chosen> {
  const prompter = deps.prompter!;
  try {
    const given = options.startUrl !== undefined || options.region !== undefined || options.session !== undefined;
    const existing = !given && known.length > 0 ? await offerExisting(deps, prompter, known) : undefined;
    if (existing) return { session: existing, isNew: false };
    return await askNew(deps, prompter, options, known, incomplete);
  } catch (error) {
    if (!(error instanceof PromptStopped)) throw error;
    throw new SsoSyncError('interrupted', `init stopped at a prompt (${error.how}); nothing was changed.`);
  }
}

/** Offers the sessions already set up; undefined when the person wants a new one. */
async function offerExisting(deps: InitDeps, prompter: Prompter, known: SessionDef[]): Promise<SessionDef | undefined> {
  if (known.length === 1) {
    const [only] = known as [SessionDef];
    deps.say(`${deps.configFile} already has sso-session ${describe(only)}.\n`);
    return (await yesNo(prompter, 'Use it? [Y/n] ', true)) ? only : undefined;
  }
  deps.say(`${deps.configFile} already has these sso-sessions:\n`);
  known.forEach((s, i) => deps.say(`  ${i + 1}) ${describe(s)}\n`));
  for (;;) {
    const answer = await prompter.ask(`Use which one? Its number or name, or "new" to add another: `);
    if (answer.toLowerCase() === 'new') return undefined;
    const byNumber = /^\d+$/.test(answer) ? known[Number(answer) - 1] : undefined;
    const picked = byNumber ?? known.find((s) => s.name === answer);
    if (picked) return picked;
    deps.say(`  "${answer}" is none of them: type 1 to ${known.length}, a name above, or new.\n`);
  }
}

/** A yes or no; an empty answer is `fallback`. */
async function yesNo(prompter: Prompter, prompt: string, fallback: boolean): Promise<boolean> {
  for (;;) {
    const answer = (await prompter.ask(prompt)).toLowerCase();
    if (answer === '') return fallback;
    if (['y', 'yes'].includes(answer)) return true;
    if (['n', 'no'].includes(answer)) return false;
  }
}

/** Asks until `check` accepts the answer, saying each problem; a problem's `meant` is the next default. */
async function askUntil(
  deps: InitDeps,
  prompt: (fallback?: string) => string,
  check: (a: string) => Checked,
  first?: string,
) {
  let fallback = first;
  for (;;) {
    const checked = check(await deps.prompter!.ask(prompt(fallback), fallback));
    if ('value' in checked) return checked.value;
    deps.say(`  ${checked.problem}\n`);
    if (checked.meant !== undefined) fallback = checked.meant;
  }
}

const withDefault = (text: string) => (fallback?: string) => (fallback ? `${text} [${fallback}]: ` : `${text}: `);

/** The start URL the option gave (checked already), or the one asked for until it is one. */
async function askStartUrl(deps: InitDeps, given: string | undefined): Promise<StartUrl> {
  const fromOption = given === undefined ? undefined : parseStartUrl(given);
  if (fromOption && !('problem' in fromOption)) return fromOption;
  deps.say(`The start URL is the address of your AWS access portal, e.g. ${startUrlExample}.\n`);
  for (;;) {
    const parsed = parseStartUrl(await deps.prompter!.ask('Start URL: '));
    if (!('problem' in parsed)) return parsed;
    deps.say(`  ${parsed.problem}\n`);
  }
}

/** An option's value when it passes `check` (the options were checked already), else the answer asked for. */
async function givenOrAsk(
  given: string | undefined,
  check: (a: string) => Checked,
  ask: () => Promise<string>,
): Promise<string> {
  const checked = given === undefined ? undefined : check(given);
  return checked && 'value' in checked ? checked.value : ask();
}

/** Asks for the start URL, region and name of a new session (those the options did not give). */
async function askNew(
  deps: InitDeps,
  prompter: Prompter,
  options: InitOptions,
  known: SessionDef[],
  incomplete: ReadonlyMap<string, string>,
): Promise<Chosen> {
  const url = await askStartUrl(deps, options.startUrl);
  const found = known.find((s) => startsAt(s, url));
  if (found && options.session === undefined) {
    deps.say(`sso-session ${describe(found)} already uses this start URL.\n`);
    if (await yesNo(prompter, 'Use it? [Y/n] ', true)) return { session: found, isNew: false };
  }
  let previous: string | undefined;
  const region = await givenOrAsk(
    options.region,
    (r) => checkRegion(r, r),
    () => {
      deps.say('The region is where your IAM Identity Center is (its console shows it; your admin knows it).\n');
      const twice = (answer: string) => {
        const checked = checkRegion(answer, previous);
        previous = answer;
        return checked;
      };
      return askUntil(deps, withDefault('Region'), twice, url.region);
    },
  );
  const taken = (name: string) => {
    const s = known.find((k) => k.name === name);
    const lacking = incomplete.get(name);
    if (lacking !== undefined)
      return `an [sso-session ${name}] section is in the config already (${lacking}); choose another name`;
    return s && `sso-session ${describe(s)} already exists; choose another name`;
  };
  const check = (a: string) => checkSessionName(a, taken);
  const suggested = freeName(url.name, (n) => taken(n) !== undefined);
  const name = await givenOrAsk(options.session, check, () =>
    askUntil(deps, withDefault('Name for this sso-session'), check, suggested),
  );
  return { session: { name, startUrl: url.url, region, scopes }, isNew: true };
}

/** Writes the section, outside sso-sync's blocks, on the file as it is at that moment. */
async function addSection(deps: InitDeps, session: SessionDef): Promise<void> {
  const section: NewSession = { name: session.name, startUrl: session.startUrl, region: session.region };
  const rewrite: Rewrite = (current) => {
    const scan = scanConfig(current ?? '');
    if (scan.damage.length > 0) throw damageError(deps.configFile, scan.damage);
    const { sessions, problems } = sessionsFromConfig(scan.outside);
    const there = sessions.find((s) => s.name === session.name);
    const lacking = problems.find((p) => p.session === session.name);
    if (lacking) throw incompleteSection(deps.configFile, session.name, lacking.problem);
    if (!there) return withSessionSection(current, section);
    if (canonical(there.startUrl) === session.startUrl && there.region === session.region) return undefined;
    throw new SsoSyncError(
      'usage',
      `sso-session ${session.name} was added to ${deps.configFile} meanwhile, as ${describe(there)}; ` +
        'nothing was changed. Run `sso-sync init` again to use it or to choose another name.',
    );
  };
  const written = await deps.write(await deps.readConfig(), rewrite);
  const lines = sessionSectionText(section).replace(/^(?=.)/gm, '  ');
  deps.say(written ? `Added to ${deps.configFile}:\n\n${lines}\n` : `${deps.configFile} has it already.\n`);
}

/** Signs in, unless a session set up before already has a token good for a while; true when it signed in now. */
async function signIn(deps: InitDeps, { session, isNew }: Chosen): Promise<boolean> {
  const until = isNew ? undefined : await deps.signedInUntil(session);
  if (until !== undefined) {
    deps.say(`Signed in to sso-session ${session.name} already (${until}).\n`);
    return false;
  }
  try {
    await deps.signIn(session);
    return true;
  } catch (error) {
    if (!(error instanceof SsoSyncError)) throw error;
    throw new SsoSyncError(
      error.code,
      `${error.message}\nThe sso-session ${session.name} is saved in ${deps.configFile}. To sign in again: ` +
        `\`sso-sync login --session ${session.name}\` (or \`sso-sync init\`, which goes on from there).`,
      { cause: error },
    );
  }
}

/** The first sync; a failure is said with what is set up already and how to sync again. */
async function firstSync(deps: InitDeps, session: SessionDef, lastTry: boolean): Promise<ExitCode> {
  const again =
    `The sso-session ${session.name} is set up and signed in; to sync again: ` +
    `\`sso-sync --once --session ${session.name}\`, then \`sso-sync service install\` to keep it in sync.`;
  let code: ExitCode;
  try {
    code = await deps.sync(session);
  } catch (error) {
    if (!(error instanceof SsoSyncError)) throw error;
    throw new SsoSyncError(error.code, `${error.message}\n${again}`, { cause: error });
  }
  if (code === ExitCode.signInRequired && !lastTry) return code;
  if (code === ExitCode.signInRequired)
    deps.say(`The first sync needs a sign-in (see above): \`sso-sync login --session ${session.name}\`.\n`);
  else if (code !== ExitCode.ok) deps.say(`The first sync did not complete (see above). ${again}\n`);
  return code;
}

/** Offers the background service; its failure leaves init successful, and says so. */
async function offerService(deps: InitDeps, options: InitOptions, session: SessionDef): Promise<void> {
  const later = 'To keep the profiles in sync from now on: `sso-sync service install`.';
  if (options.noService) return;
  if (!deps.prompter) {
    deps.say(`${later}\n`);
    return;
  }
  let install: boolean;
  try {
    install = await yesNo(deps.prompter, 'Install the background service, to keep the profiles in sync? [y/N] ', false);
  } catch (error) {
    if (!(error instanceof PromptStopped)) throw error;
    throw new SsoSyncError(
      'interrupted',
      `init stopped at the last prompt (${error.how}): sso-session ${session.name} is set up, signed in and ` +
        `synced; only the service is not installed. ${later}`,
    );
  }
  if (!install) {
    deps.say(`${later}\n`);
    return;
  }
  const code = await deps.installService().catch((error: unknown) => {
    if (!(error instanceof SsoSyncError)) throw error;
    deps.say(`sso-sync: ${error.message}\n`);
    return error.exitCode;
  });
  if (code !== ExitCode.ok)
    deps.say(
      `init is done all the same: sso-session ${session.name} is set up, signed in and synced; only the service ` +
        'is not installed. Once the problem above is fixed: `sso-sync service install` ' +
        '(or run `sso-sync` under a supervisor of your own).\n',
    );
}
