/**
 * Signing in: the authorization code flow with PKCE on a loopback redirect (the default) or the device code
 * flow, then the token written into the AWS CLI's cache, where the CLI finds it too.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { DeviceAuthorization, OidcApi, Registration, TokenGrant } from '../aws/oidc-api.js';
import type { Clock } from '../clock/clock.js';
import type { SessionDef } from '../core/types.js';
import { describeFsError, errorName, fsRemedy, signInHint, SsoSyncError } from '../errors.js';
import { classifyFailure } from '../aws/failure.js';
import type { Logger } from '../log/logger.js';
import { formatCacheTime, writeToken, type CachedToken } from '../token/cache.js';
import { startCallbackListener } from './callback-listener.js';
import { dropRegistration, loadRegistration, saveRegistration, type Flow } from './registrations.js';
import { tokenCachePath } from '../paths.js';

/** What sign-in needs from outside. */
export interface LoginDeps {
  home: string;
  stateDir: string;
  clock: Clock;
  log: Logger;
  oidc: OidcApi;
  /** Opens a URL in the browser; resolves false when it could not. */
  openBrowser: (url: string) => Promise<boolean>;
  /** Text for the person at the terminal (URLs, the user code). */
  tell: (text: string) => void;
  /** Why no browser on this machine can finish the browser flow (see browser.ts), when none can. */
  noBrowserHere?: string | undefined;
}

/** How to sign in. */
export interface LoginOptions {
  session: SessionDef;
  deviceCode: boolean;
  noBrowser: boolean;
  /** How long to wait for the person to finish in the browser. */
  timeoutMs: number;
}

const clientName = 'sso-sync';
const deviceGrant = 'urn:ietf:params:oauth:grant-type:device_code';

/** URL-safe base64 without padding (RFC 7636). */
export function base64url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

/** The S256 code challenge of a PKCE verifier. */
export function codeChallenge(verifier: string): string {
  return base64url(createHash('sha256').update(verifier, 'ascii').digest());
}

/** A failed call of the sign-in, told with the advice that fits its kind (see aws/failure.ts). */
function failed(deps: LoginDeps, session: string, what: string, error: unknown): SsoSyncError {
  if (error instanceof SsoSyncError) return error;
  if (errorName(error) === 'InvalidClientException') {
    // The client registration, not the person's sign-in: a 401 here is not "sign in again".
    return new SsoSyncError(
      'aws.failed',
      `signing in to sso-session ${session} failed while ${what}: the service refused sso-sync's client ` +
        `registration (InvalidClientException). Check that the start URL and region of sso-session ${session} ` +
        `are right, then run \`sso-sync login --session ${session}\` again.`,
      { cause: error },
    );
  }
  const { summary, advice } = classifyFailure(error, 'IAM Identity Center', deps.oidc.endpoint());
  return new SsoSyncError(
    'aws.failed',
    `signing in to sso-session ${session} failed while ${what}: ${summary}. ` +
      `${advice.charAt(0).toUpperCase()}${advice.slice(1)}.`,
    { cause: error },
  );
}

/** The registration kept from an earlier sign-in, if it is still good; `reused` says it was kept. */
async function registration(
  deps: LoginDeps,
  session: SessionDef,
  flow: Flow,
): Promise<{ reg: Registration; reused: boolean }> {
  const now = deps.clock.now();
  const kept = await loadRegistration(deps.stateDir, session.name, flow, session.startUrl, session.scopes, now);
  if (kept) {
    deps.log.debug(
      { event: 'login.registration_reused', session: session.name, flow },
      `reusing the client registration for ${session.name} until ${formatCacheTime(kept.expiresAt)}`,
    );
    return { reg: kept, reused: true };
  }
  return { reg: await register(deps, session, flow), reused: false };
}

/** Registers a new client with the service and keeps it for later sign-ins. */
async function register(deps: LoginDeps, session: SessionDef, flow: Flow): Promise<Registration> {
  const fresh = await deps.oidc
    .registerClient({
      clientName,
      scopes: session.scopes,
      ...(flow === 'authorization-code'
        ? {
            grantTypes: ['authorization_code', 'refresh_token'],
            // RFC 8252: a loopback redirect is registered without a port; each sign-in picks a free one.
            redirectUris: ['http://127.0.0.1/oauth/callback'],
            issuerUrl: session.startUrl,
          }
        : { grantTypes: [deviceGrant, 'refresh_token'] }),
    })
    .catch((error: unknown) => {
      throw failed(deps, session.name, 'registering the client', error);
    });
  await saveRegistration(deps.stateDir, session.name, flow, session.startUrl, session.scopes, fresh);
  deps.log.debug(
    { event: 'login.registered', session: session.name, flow },
    `registered a client for ${session.name}, valid until ${formatCacheTime(fresh.expiresAt)}`,
  );
  return fresh;
}

/** An error as the SDK raises the service's refusal of a client. */
const refusedClient = (message: string): Error => Object.assign(new Error(message), { name: 'InvalidClientException' });

/**
 * Whether the authorize page refuses the client, as it does one the service has forgotten (an error page, 400 or
 * 401, naming invalid_client), before a browser is sent there. Any other answer, or none within 10 s, lets the
 * sign-in go on: the browser shows what there is to see.
 */
async function clientRefusedAt(authorize: URL): Promise<boolean> {
  const answer = await fetch(authorize, { redirect: 'manual', signal: AbortSignal.timeout(10_000) }).catch(
    () => undefined,
  );
  if (answer === undefined || (answer.status !== 400 && answer.status !== 401)) {
    await answer?.body?.cancel();
    return false;
  }
  return /invalid_client|InvalidClient/i.test(await answer.text().catch(() => ''));
}

async function show(deps: LoginDeps, options: LoginOptions, url: string, intro: string): Promise<void> {
  const opened = options.noBrowser ? false : await deps.openBrowser(url);
  deps.tell(
    `${intro}${opened ? ' A browser window was opened; if it did not appear, open' : ' Open'} this URL in a ` +
      `browser:\n\n  ${url}\n\n`,
  );
}

async function authorizationCodeFlow(deps: LoginDeps, options: LoginOptions, reg: Registration): Promise<TokenGrant> {
  const { session } = options;
  const verifier = base64url(randomBytes(48));
  const state = base64url(randomBytes(24));
  const listener = await startCallbackListener(state, options.timeoutMs, deps.clock);
  try {
    const authorize = new URL(`${deps.oidc.endpoint()}/authorize`);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: reg.clientId,
      redirect_uri: listener.redirectUri,
      state,
      code_challenge_method: 'S256',
      code_challenge: codeChallenge(verifier),
      scopes: session.scopes.join(' '),
    }).toString();
    // A client the service forgot gets an error page in the browser and never a callback: find out first.
    if (await clientRefusedAt(authorize))
      throw failed(deps, session.name, 'opening the sign-in page', refusedClient('the authorize page refused it'));
    await show(deps, options, authorize.toString(), `Signing in to sso-session ${session.name} (${session.startUrl}).`);
    const result = await listener.result;
    if ('error' in result) {
      const denied = result.error === 'access_denied';
      throw new SsoSyncError(
        'sign-in.required',
        denied
          ? `the sign-in to sso-session ${session.name} was denied in the browser; ` +
              `run \`sso-sync login --session ${session.name}\` to try again.`
          : `the sign-in to sso-session ${session.name} failed: ` +
              `${result.error}${result.description ? ` (${result.description.slice(0, 200)})` : ''}; ` +
              `run \`sso-sync login --session ${session.name}\` again.`,
      );
    }
    return await deps.oidc
      .createToken(reg, {
        grantType: 'authorization_code',
        code: result.code,
        codeVerifier: verifier,
        redirectUri: listener.redirectUri,
      })
      .catch((error: unknown) => {
        throw failed(deps, session.name, 'exchanging the authorization code for a token', error);
      });
  } finally {
    await listener.close();
  }
}

async function deviceCodeFlow(deps: LoginDeps, options: LoginOptions, reg: Registration): Promise<TokenGrant> {
  const { session } = options;
  const { clock } = deps;
  let device: DeviceAuthorization;
  try {
    device = await deps.oidc.startDeviceAuthorization(reg, session.startUrl);
  } catch (error) {
    throw failed(deps, session.name, 'starting the device authorization', error);
  }
  await show(
    deps,
    options,
    device.verificationUriComplete ?? device.verificationUri,
    `Signing in to sso-session ${session.name} (${session.startUrl}) with a device code. ` +
      `Check that the page shows the code ${device.userCode}.`,
  );
  const deadline = clock.now() + Math.min(device.expiresInSeconds * 1000, options.timeoutMs);
  let intervalMs = Math.max(1, device.intervalSeconds) * 1000;
  for (;;) {
    await clock.sleep(intervalMs);
    try {
      return await deps.oidc.createToken(reg, { grantType: deviceGrant, deviceCode: device.deviceCode });
    } catch (error) {
      const name = errorName(error);
      if (name === 'AuthorizationPendingException') {
        // still waiting for the person
      } else if (name === 'SlowDownException') {
        intervalMs += 5_000; // RFC 8628 §3.5
      } else if (name === 'ExpiredTokenException') {
        throw new SsoSyncError(
          'sign-in.required',
          `the device code for sso-session ${session.name} expired before it was approved; ` +
            `run \`sso-sync login --session ${session.name} --device-code\` again.`,
        );
      } else if (name === 'AccessDeniedException') {
        throw new SsoSyncError(
          'sign-in.required',
          `the sign-in to sso-session ${session.name} was denied; ` +
            `run \`sso-sync login --session ${session.name} --device-code\` to try again.`,
        );
      } else {
        throw failed(deps, session.name, 'waiting for the device code to be approved', error);
      }
    }
    if (clock.now() + intervalMs > deadline) {
      throw new SsoSyncError(
        'sign-in.required',
        `the device code for sso-session ${session.name} was not approved in time; ` +
          `run \`sso-sync login --session ${session.name} --device-code\` again.`,
      );
    }
  }
}

/**
 * The flow to sign in with. The browser flow's redirect comes back to this machine's loopback: where no browser
 * here can take it (over SSH, without a display) and the person did not choose, the device code flow is used, and
 * said; with --no-browser over SSH the browser flow stays, with a word on where the URL must be opened.
 */
function chooseFlow(deps: LoginDeps, options: LoginOptions): Flow {
  if (options.deviceCode) return 'device-code';
  const why = deps.noBrowserHere;
  if (why === undefined) return 'authorization-code';
  if (!options.noBrowser) {
    deps.tell(
      `No browser can finish the sign-in here (${why}): signing in with a device code instead, ` +
        'which any browser on any device can approve. (`--device-code` says so directly.)\n',
    );
    return 'device-code';
  }
  if (why.startsWith('an SSH session'))
    deps.tell(
      'This is an SSH session: the URL below comes back to this machine (127.0.0.1), so only a browser on this ' +
        'machine can finish it. Elsewhere, use `sso-sync login --device-code`.\n',
    );
  return 'authorization-code';
}

/** Whether the service refused the client registration itself (forgotten, revoked, or expired early). */
const clientRefused = (error: unknown): boolean =>
  error instanceof SsoSyncError && errorName(error.cause) === 'InvalidClientException';

/**
 * Runs the sign-in flow with the kept registration. When the service no longer knows that client, the registration
 * is dropped, a new one made, and the flow run once more with it: a stale registration never blocks sign-in.
 */
async function signInWith(
  deps: LoginDeps,
  options: LoginOptions,
  flow: Flow,
): Promise<{ reg: Registration; grant: TokenGrant }> {
  const run = (reg: Registration) =>
    flow === 'device-code' ? deviceCodeFlow(deps, options, reg) : authorizationCodeFlow(deps, options, reg);
  const { reg, reused } = await registration(deps, options.session, flow);
  try {
    return { reg, grant: await run(reg) };
  } catch (error) {
    if (!reused || !clientRefused(error)) throw error;
    const { name } = options.session;
    await dropRegistration(deps.stateDir, name, flow);
    deps.log.info(
      { event: 'login.registration_dropped', session: name, flow },
      `the service no longer accepts the client registration kept for ${name}; registering a new one`,
    );
    const fresh = await register(deps, options.session, flow);
    return { reg: fresh, grant: await run(fresh) };
  }
}

/** Signs in to a session and writes the token to the AWS CLI's cache; returns the cached token. */
export async function login(deps: LoginDeps, options: LoginOptions): Promise<CachedToken> {
  const flow = chooseFlow(deps, options);
  const { reg, grant } = await signInWith(deps, options, flow);
  const token: Omit<CachedToken, 'file'> = {
    startUrl: options.session.startUrl,
    region: options.session.region,
    accessToken: grant.accessToken,
    expiresAt: new Date(deps.clock.now() + grant.expiresInSeconds * 1000),
    clientId: reg.clientId,
    clientSecret: reg.clientSecret,
    registrationExpiresAt: reg.expiresAt,
    refreshToken: grant.refreshToken,
    other: {},
  };
  let file: string;
  try {
    file = await writeToken(deps.home, options.session.name, token);
  } catch (error) {
    const where = tokenCachePath(deps.home, options.session.name);
    throw new SsoSyncError(
      'sign-in.required',
      `signed in to sso-session ${options.session.name}, but the token could not be saved to ${where}: ` +
        `${describeFsError(error)}; ${fsRemedy(error)}, then ${signInHint(options.session.name)} again`,
      { cause: error },
    );
  }
  deps.log.info(
    {
      event: 'login.completed',
      session: options.session.name,
      flow,
      expiresAt: formatCacheTime(token.expiresAt),
      refreshable: grant.refreshToken !== undefined,
    },
    `signed in to sso-session ${options.session.name}; the token is valid until ` +
      `${formatCacheTime(token.expiresAt)}${grant.refreshToken ? ' and will be refreshed before then' : ''}`,
  );
  return { ...token, file };
}
