/** The emulator's OIDC side through the real SSO OIDC SDK client: registration, device code, PKCE, refresh, expiry. */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, suite, test } from 'node:test';
import { ListAccountsCommand, SSOClient } from '@aws-sdk/client-sso';
import {
  CreateTokenCommand,
  RegisterClientCommand,
  SSOOIDCClient,
  StartDeviceAuthorizationCommand,
  type CreateTokenCommandOutput,
  type RegisterClientCommandInput,
  type RegisterClientCommandOutput,
} from '@aws-sdk/client-sso-oidc';
import { builtinFixture } from '../../src/emulator/fixture.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/server.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const START_URL = 'https://d-1234567890.awsapps.com/start';
/** Registered without a port, as the AWS CLI registers it; the listener's port is chosen at each sign-in. */
const REDIRECT = 'http://127.0.0.1/oauth/callback';
const REDIRECT_WITH_PORT = 'http://127.0.0.1:49152/oauth/callback';

interface Harness {
  emulator: Emulator;
  oidc: SSOOIDCClient;
  sso: SSOClient;
}

/** A client registration as the SDK returned it, with the fields a test needs made non-optional. */
interface Registration {
  clientId: string;
  clientSecret: string;
  raw: RegisterClientCommandOutput;
}

/** Runs `body` against a fresh emulator and both SDK clients (no retries), and always tears them down. */
async function withOidc(options: Partial<EmulatorOptions>, body: (h: Harness) => Promise<void>, maxAttempts = 1) {
  const emulator = await startEmulator({ fixture: builtinFixture(), ...options });
  const oidc = new SSOOIDCClient({ region: 'eu-north-1', endpoint: emulator.url, maxAttempts });
  const sso = new SSOClient({ region: 'eu-north-1', endpoint: emulator.url, maxAttempts: 1 });
  try {
    await body({ emulator, oidc, sso });
  } finally {
    oidc.destroy();
    sso.destroy();
    await emulator.stop();
  }
}

async function register(oidc: SSOOIDCClient, input: Partial<RegisterClientCommandInput> = {}): Promise<Registration> {
  const raw = await oidc.send(
    new RegisterClientCommand({
      clientName: 'sso-sync-test',
      clientType: 'public',
      scopes: ['sso:account:access'],
      grantTypes: [DEVICE_GRANT, 'refresh_token'],
      ...input,
    }),
  );
  assert.ok(raw.clientId && raw.clientSecret);
  return { clientId: raw.clientId, clientSecret: raw.clientSecret, raw };
}

/** What a failed call rejected with; fails the test when it did not fail. */
async function failure(call: Promise<unknown>): Promise<{
  name: string;
  message: string;
  error?: string;
  error_description?: string;
  $metadata: { httpStatusCode?: number; attempts?: number };
}> {
  return call.then(
    () => assert.fail('expected the call to fail'),
    (error: unknown) => error as never,
  );
}

function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(48).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Opens the authorize URL as a browser would and returns where it was sent back to (the 302's Location). */
async function authorizeInBrowser(emulator: Emulator, params: Record<string, string>): Promise<URL> {
  const res = await fetch(`${emulator.url}/authorize?${new URLSearchParams(params).toString()}`, {
    redirect: 'manual',
  });
  await res.arrayBuffer();
  assert.equal(res.status, 302);
  const location = res.headers.get('location');
  assert.ok(location);
  return new URL(location);
}

function authorizeParams(
  clientId: string,
  challenge: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT_WITH_PORT,
    state: 'state-1234',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    scopes: 'sso:account:access',
    ...extra,
  };
}

/**
 * A full authorization code sign-in: authorize in the "browser", then exchange the code; returns the token, the code
 * and the verifier.
 */
async function signInWithCode(
  { emulator, oidc }: Harness,
  client: Registration,
): Promise<{ token: CreateTokenCommandOutput; code: string; verifier: string }> {
  const { verifier, challenge } = pkcePair();
  const back = await authorizeInBrowser(emulator, authorizeParams(client.clientId, challenge));
  const code = back.searchParams.get('code');
  assert.ok(code);
  const token = await oidc.send(
    new CreateTokenCommand({
      ...credentials(client),
      grantType: 'authorization_code',
      code,
      redirectUri: REDIRECT_WITH_PORT,
      codeVerifier: verifier,
    }),
  );
  return { token, code, verifier };
}

/** A device code sign-in on an emulator started with autoApproveDevice. */
async function signInWithDevice({ oidc }: Harness, client: Registration): Promise<CreateTokenCommandOutput> {
  const device = await oidc.send(new StartDeviceAuthorizationCommand({ ...credentials(client), startUrl: START_URL }));
  return oidc.send(
    new CreateTokenCommand({ ...credentials(client), grantType: DEVICE_GRANT, deviceCode: device.deviceCode }),
  );
}

function credentials(client: Registration): { clientId: string; clientSecret: string } {
  return { clientId: client.clientId, clientSecret: client.clientSecret };
}

function refresh(oidc: SSOOIDCClient, client: Registration, refreshToken: string | undefined) {
  return oidc.send(new CreateTokenCommand({ ...credentials(client), grantType: 'refresh_token', refreshToken }));
}

async function listAccounts(sso: SSOClient, accessToken: string | undefined) {
  return sso.send(new ListAccountsCommand({ accessToken }));
}

// Every test owns its emulator and clients, so they run side by side: the waits for expiry overlap.
suite('the OIDC side of the emulator', { concurrency: true }, () => {
  after(async () => {
    // Closed sockets leave the list a moment after close() resolves.
    const deadline = Date.now() + 1000;
    const open = () => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP'));
    while (open().length > 0 && Date.now() < deadline) await sleep(10);
    assert.deepEqual(open(), [], 'no server or socket is left open');
  });

  test("RegisterClient answers with the model's fields; expiry is the registration lifetime, in epoch seconds", async () => {
    await withOidc({}, async ({ emulator, oidc }) => {
      const before = Math.floor(Date.now() / 1000);
      const { raw } = await register(oidc);
      assert.ok(
        raw.clientIdIssuedAt !== undefined && raw.clientIdIssuedAt >= before && raw.clientIdIssuedAt <= before + 1,
      );
      assert.equal(raw.clientSecretExpiresAt, raw.clientIdIssuedAt + 90 * 24 * 3600);
      assert.equal(raw.authorizationEndpoint, `${emulator.url}/authorize`);
      assert.equal(raw.tokenEndpoint, `${emulator.url}/token`);
    });
    await withOidc({ registrationLifetimeSeconds: 60 }, async ({ oidc }) => {
      const { raw } = await register(oidc);
      assert.equal(raw.clientSecretExpiresAt, (raw.clientIdIssuedAt ?? 0) + 60);
    });
  });

  test('RegisterClient refuses bad metadata with the error the model names', async () => {
    await withOidc({}, async ({ emulator, oidc }) => {
      const cases: Array<[Partial<RegisterClientCommandInput>, string]> = [
        [{ clientType: 'confidential' }, 'InvalidClientMetadataException'],
        [{ clientName: undefined }, 'InvalidRequestException'],
        [{ grantTypes: ['password'] }, 'UnsupportedGrantTypeException'],
        // The SDK's own documentation example misspells the device grant; the service knows only device_code.
        [{ grantTypes: ['urn:ietf:params:oauth:grant-type:device-code'] }, 'UnsupportedGrantTypeException'],
        [{ scopes: ['sso:account:access', ''] }, 'InvalidScopeException'],
        [
          { grantTypes: ['authorization_code'], redirectUris: ['http://example.com/callback'] },
          'InvalidRedirectUriException',
        ],
        [{ grantTypes: ['authorization_code'], redirectUris: ['not a url'] }, 'InvalidRedirectUriException'],
        [{ grantTypes: ['authorization_code'] }, 'InvalidClientMetadataException'],
      ];
      for (const [input, name] of cases) {
        const error = await failure(register(oidc, input));
        assert.equal(error.name, name, JSON.stringify(input));
        assert.equal(error.$metadata.httpStatusCode, 400);
        assert.equal(typeof error.error_description, 'string');
      }
      // The service's error body has `error` and `error_description` and no `message`; the SDK says "UnknownError".
      const res = await fetch(`${emulator.url}/client/register`, { method: 'POST', body: '{"clientName":"x"}' });
      assert.equal(res.headers.get('x-amzn-errortype'), 'InvalidRequestException');
      const body = (await res.json()) as Record<string, string>;
      assert.deepEqual(Object.keys(body), ['error', 'error_description']);
      assert.equal(body.error, 'invalid_request');
      const error = await failure(register(oidc, { clientType: 'confidential' }));
      assert.equal(error.error, 'invalid_client_metadata');
      assert.equal(error.message, 'UnknownError');
      assert.equal(emulator.stats().byRoute.register, cases.length + 2);
    });
  });

  test('device code: pending, then slow down, then approved; the token works on the portal', async () => {
    await withOidc({}, async ({ emulator, oidc, sso }) => {
      const client = await register(oidc);
      const device = await oidc.send(
        new StartDeviceAuthorizationCommand({ ...credentials(client), startUrl: START_URL }),
      );
      assert.match(device.userCode ?? '', /^[A-Z]{4}-[A-Z]{4}$/);
      assert.equal(device.verificationUri, `${emulator.url}/device`);
      assert.equal(device.verificationUriComplete, `${emulator.url}/device?user_code=${device.userCode}`);
      assert.equal(device.expiresIn, 600);
      assert.equal(device.interval, 1);
      assert.deepEqual(emulator.pendingDeviceAuthorizations(), [device.userCode]);

      const poll = () =>
        oidc.send(
          new CreateTokenCommand({ ...credentials(client), grantType: DEVICE_GRANT, deviceCode: device.deviceCode }),
        );
      const pending = await failure(poll());
      assert.equal(pending.name, 'AuthorizationPendingException');
      assert.equal(pending.error, 'authorization_pending');
      assert.equal(pending.$metadata.httpStatusCode, 400);
      assert.equal((await failure(poll())).name, 'SlowDownException');

      emulator.approveDevice(device.userCode ?? '');
      assert.deepEqual(emulator.pendingDeviceAuthorizations(), []);
      // A well-behaved client waits the interval before polling again.
      await sleep(1000);
      const token = await poll();
      assert.equal(token.tokenType, 'Bearer');
      assert.equal(token.expiresIn, 3600);
      assert.ok(token.accessToken?.startsWith('aoa'));
      assert.ok(token.refreshToken?.startsWith('aor'));
      assert.equal(token.idToken, undefined);

      const accounts = await listAccounts(sso, token.accessToken);
      assert.equal(accounts.accountList?.length, builtinFixture().accounts.length);
      // A device code buys one token.
      assert.equal((await failure(poll())).name, 'InvalidGrantException');
      assert.deepEqual(emulator.stats().byRoute, { register: 1, 'device-authorization': 1, token: 4, accounts: 1 });
    });
  });

  test('device code: a denial is AccessDeniedException; an expired code is ExpiredTokenException', async () => {
    await withOidc({ deviceCodeLifetimeSeconds: 1 }, async ({ emulator, oidc }) => {
      const client = await register(oidc);
      const start = () =>
        oidc.send(new StartDeviceAuthorizationCommand({ ...credentials(client), startUrl: START_URL }));
      const poll = (deviceCode: string | undefined) =>
        oidc.send(new CreateTokenCommand({ ...credentials(client), grantType: DEVICE_GRANT, deviceCode }));

      const denied = await start();
      const expiring = await start();
      assert.notEqual(denied.userCode, expiring.userCode);
      emulator.denyDevice(denied.userCode ?? '');
      assert.throws(() => emulator.approveDevice(denied.userCode ?? ''), /already-decided/);
      const error = await failure(poll(denied.deviceCode));
      assert.equal(error.name, 'AccessDeniedException');
      assert.equal(error.error, 'access_denied');

      assert.equal((await failure(poll(expiring.deviceCode))).name, 'AuthorizationPendingException');
      const deadline = Date.now() + 3000;
      while (emulator.pendingDeviceAuthorizations().length > 0 && Date.now() < deadline) await sleep(25);
      assert.deepEqual(emulator.pendingDeviceAuthorizations(), []);
      const expired = await failure(poll(expiring.deviceCode));
      assert.equal(expired.name, 'ExpiredTokenException');
      assert.equal(expired.error, 'expired_token');
      assert.throws(() => emulator.approveDevice(expiring.userCode ?? ''), /expired/);
      assert.throws(() => emulator.approveDevice('ZZZZ-ZZZZ'), /no device authorization/);
    });
  });

  test('device code needs a known client, the right secret, and the device grant', async () => {
    await withOidc({ autoApproveDevice: true }, async ({ oidc }) => {
      const client = await register(oidc);
      const wrongSecret = await failure(
        oidc.send(
          new StartDeviceAuthorizationCommand({ clientId: client.clientId, clientSecret: 'nope', startUrl: START_URL }),
        ),
      );
      assert.equal(wrongSecret.name, 'InvalidClientException');
      assert.equal(wrongSecret.$metadata.httpStatusCode, 401);
      const missing = await failure(
        oidc.send(new StartDeviceAuthorizationCommand({ ...credentials(client), startUrl: undefined })),
      );
      assert.equal(missing.name, 'InvalidRequestException');

      const codeOnly = await register(oidc, { grantTypes: ['authorization_code'], redirectUris: [REDIRECT] });
      const unauthorized = await failure(
        oidc.send(new StartDeviceAuthorizationCommand({ ...credentials(codeOnly), startUrl: START_URL })),
      );
      assert.equal(unauthorized.name, 'UnauthorizedClientException');

      // Registered without grant types, as older CLIs do: the device grant only, and no refresh token.
      const legacy = await register(oidc, { grantTypes: undefined, scopes: undefined });
      const token = await signInWithDevice({ oidc } as Harness, legacy);
      assert.ok(token.accessToken);
      assert.equal(token.refreshToken, undefined);

      // Another client's device code is no grant for this one.
      const device = await oidc.send(
        new StartDeviceAuthorizationCommand({ ...credentials(client), startUrl: START_URL }),
      );
      const other = await register(oidc);
      const stolen = await failure(
        oidc.send(
          new CreateTokenCommand({ ...credentials(other), grantType: DEVICE_GRANT, deviceCode: device.deviceCode }),
        ),
      );
      assert.equal(stolen.name, 'InvalidGrantException');
    });
  });

  test('authorization code with PKCE: the right verifier works once; wrong verifier, reuse and another redirect do not', async () => {
    await withOidc({}, async (h) => {
      const { emulator, oidc, sso } = h;
      const client = await register(oidc, {
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: [REDIRECT],
      });
      const exchange = (code: string, codeVerifier: string, redirectUri = REDIRECT_WITH_PORT) =>
        oidc.send(
          new CreateTokenCommand({
            ...credentials(client),
            grantType: 'authorization_code',
            code,
            redirectUri,
            codeVerifier,
          }),
        );
      const authorize = async (challenge: string) => {
        const back = await authorizeInBrowser(emulator, authorizeParams(client.clientId, challenge));
        assert.equal(`${back.origin}${back.pathname}`, REDIRECT_WITH_PORT);
        assert.equal(back.searchParams.get('state'), 'state-1234');
        const code = back.searchParams.get('code');
        assert.ok(code);
        return code;
      };

      const first = pkcePair();
      const wrong = await failure(exchange(await authorize(first.challenge), pkcePair().verifier));
      assert.equal(wrong.name, 'InvalidGrantException');
      assert.equal(wrong.error, 'invalid_grant');

      const second = pkcePair();
      const code = await authorize(second.challenge);
      const token = await exchange(code, second.verifier);
      assert.equal(token.tokenType, 'Bearer');
      assert.ok(token.refreshToken);
      await listAccounts(sso, token.accessToken);
      assert.equal((await failure(exchange(code, second.verifier))).name, 'InvalidGrantException');

      const third = pkcePair();
      const elsewhere = await failure(
        exchange(await authorize(third.challenge), third.verifier, 'http://127.0.0.1:49153/oauth/callback'),
      );
      assert.equal(elsewhere.name, 'InvalidGrantException');

      // Without a verifier at all, PKCE fails the same way.
      const fourth = pkcePair();
      const noVerifier = await failure(
        oidc.send(
          new CreateTokenCommand({
            ...credentials(client),
            grantType: 'authorization_code',
            code: await authorize(fourth.challenge),
            redirectUri: REDIRECT_WITH_PORT,
          }),
        ),
      );
      assert.equal(noVerifier.name, 'InvalidGrantException');
      assert.ok(!JSON.stringify(noVerifier).includes(code), 'an error never quotes the code');
    });
  });

  test('authorize: deny and bad requests go back to the redirect URI; an unknown client or redirect URI gets a 400', async () => {
    await withOidc({}, async ({ emulator, oidc }) => {
      const client = await register(oidc, {
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: [REDIRECT],
      });
      const { challenge } = pkcePair();

      emulator.setAuthorizeDecision('deny');
      const denied = await authorizeInBrowser(emulator, authorizeParams(client.clientId, challenge));
      assert.equal(denied.searchParams.get('error'), 'access_denied');
      assert.equal(denied.searchParams.get('state'), 'state-1234');
      assert.equal(denied.searchParams.get('code'), null);
      emulator.setAuthorizeDecision('approve');

      const noChallenge = await authorizeInBrowser(
        emulator,
        authorizeParams(client.clientId, challenge, { code_challenge_method: 'plain' }),
      );
      assert.equal(noChallenge.searchParams.get('error'), 'invalid_request');
      const badScope = await authorizeInBrowser(
        emulator,
        authorizeParams(client.clientId, challenge, { scopes: 'codewhisperer:completions' }),
      );
      assert.equal(badScope.searchParams.get('error'), 'invalid_scope');

      const deviceClient = await register(oidc, { redirectUris: [REDIRECT] });
      const unauthorized = await authorizeInBrowser(emulator, authorizeParams(deviceClient.clientId, challenge));
      assert.equal(unauthorized.searchParams.get('error'), 'unauthorized_client');

      const refused = [
        authorizeParams('no-such-client', challenge),
        authorizeParams(client.clientId, challenge, { redirect_uri: 'http://127.0.0.1:49152/elsewhere' }),
        authorizeParams(client.clientId, challenge, { redirect_uri: 'https://attacker.example/oauth/callback' }),
      ];
      for (const params of refused) {
        const res = await fetch(`${emulator.url}/authorize?${new URLSearchParams(params).toString()}`, {
          redirect: 'manual',
        });
        await res.arrayBuffer();
        assert.equal(res.status, 400, JSON.stringify(params));
        assert.equal(res.headers.get('location'), null);
      }
      emulator.expireRegistration(client.clientId);
      const expired = await fetch(
        `${emulator.url}/authorize?${new URLSearchParams(authorizeParams(client.clientId, challenge)).toString()}`,
        {
          redirect: 'manual',
        },
      );
      assert.equal(expired.status, 400);
      assert.equal(((await expired.json()) as { error: string }).error, 'invalid_client');
      assert.equal(emulator.stats().byRoute.authorize, 8);
    });
  });

  test('refresh rotates by default: a new refresh token each time, and the used one is refused', async () => {
    await withOidc({ autoApproveDevice: true }, async (h) => {
      const { emulator, oidc, sso } = h;
      const client = await register(h.oidc);
      const signedIn = await signInWithDevice(h, client);
      const first = await refresh(oidc, client, signedIn.refreshToken);
      assert.ok(first.refreshToken && first.refreshToken !== signedIn.refreshToken);
      assert.notEqual(first.accessToken, signedIn.accessToken);
      await listAccounts(sso, first.accessToken);

      const reused = await failure(refresh(oidc, client, signedIn.refreshToken));
      assert.equal(reused.name, 'InvalidGrantException');
      assert.ok(!(reused.error_description ?? '').includes(signedIn.refreshToken ?? '?'));

      const second = await refresh(oidc, client, first.refreshToken);
      emulator.revokeRefreshToken(second.refreshToken ?? '');
      assert.equal((await failure(refresh(oidc, client, second.refreshToken))).name, 'InvalidGrantException');
      assert.equal((await failure(refresh(oidc, client, 'aorNeverIssued'))).name, 'InvalidGrantException');
      assert.throws(() => emulator.revokeRefreshToken('aorNeverIssued'), /no such refresh token/);

      // A refresh token belongs to the client it was issued to.
      const other = await register(oidc);
      const signedInAgain = await signInWithDevice(h, client);
      assert.equal((await failure(refresh(oidc, other, signedInAgain.refreshToken))).name, 'InvalidGrantException');

      // A sign-in by authorization code refreshes and rotates the same way.
      const codeClient = await register(oidc, {
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: [REDIRECT],
      });
      const { token: byCode } = await signInWithCode(h, codeClient);
      const refreshedByCode = await refresh(oidc, codeClient, byCode.refreshToken);
      assert.equal((await failure(refresh(oidc, codeClient, byCode.refreshToken))).name, 'InvalidGrantException');
      await listAccounts(sso, refreshedByCode.accessToken);
    });
  });

  test("refresh policy 'same' returns the same refresh token; 'none' returns none and the old one keeps working", async () => {
    await withOidc({ autoApproveDevice: true, refreshTokens: 'same' }, async (h) => {
      const client = await register(h.oidc);
      const signedIn = await signInWithDevice(h, client);
      const first = await refresh(h.oidc, client, signedIn.refreshToken);
      const second = await refresh(h.oidc, client, signedIn.refreshToken);
      assert.equal(first.refreshToken, signedIn.refreshToken);
      assert.equal(second.refreshToken, signedIn.refreshToken);
      assert.notEqual(first.accessToken, second.accessToken);
    });
    await withOidc({ autoApproveDevice: true, refreshTokens: 'none' }, async (h) => {
      const client = await register(h.oidc);
      const signedIn = await signInWithDevice(h, client);
      assert.ok(signedIn.refreshToken, 'sign-in still gives a refresh token');
      const first = await refresh(h.oidc, client, signedIn.refreshToken);
      assert.equal(first.refreshToken, undefined);
      const second = await refresh(h.oidc, client, signedIn.refreshToken);
      await listAccounts(h.sso, second.accessToken);
    });
  });

  test('refresh needs a live registration and a live session; a client without the refresh grant cannot refresh', async () => {
    await withOidc({ autoApproveDevice: true, refreshTokenLifetimeSeconds: 1 }, async (h) => {
      const client = await register(h.oidc);
      const signedIn = await signInWithDevice(h, client);
      const refreshed = await refresh(h.oidc, client, signedIn.refreshToken);

      h.emulator.expireRegistration(client.clientId);
      const expired = await failure(refresh(h.oidc, client, refreshed.refreshToken));
      assert.equal(expired.name, 'InvalidClientException');
      assert.equal(expired.error, 'invalid_client');
      assert.equal(expired.$metadata.httpStatusCode, 401);
      const start = h.oidc.send(new StartDeviceAuthorizationCommand({ ...credentials(client), startUrl: START_URL }));
      assert.equal((await failure(start)).name, 'InvalidClientException');
      assert.throws(() => h.emulator.expireRegistration('no-such-client'), /no client/);

      // The session ends refreshTokenLifetimeSeconds after sign-in, for rotated refresh tokens too.
      const fresh = await register(h.oidc);
      const session = await signInWithDevice(h, fresh);
      const rotated = await refresh(h.oidc, fresh, session.refreshToken);
      await sleep(1050);
      assert.equal((await failure(refresh(h.oidc, fresh, rotated.refreshToken))).name, 'InvalidGrantException');

      const deviceOnly = await register(h.oidc, { grantTypes: [DEVICE_GRANT] });
      const noRefresh = await signInWithDevice(h, deviceOnly);
      assert.equal(noRefresh.refreshToken, undefined);
      const error = await failure(refresh(h.oidc, deviceOnly, session.refreshToken));
      assert.equal(error.name, 'UnauthorizedClientException');
    });
  });

  test('a short-lived access token really expires on the portal routes, and a refresh replaces it', async () => {
    await withOidc({ autoApproveDevice: true, accessTokenLifetimeSeconds: 1 }, async (h) => {
      const client = await register(h.oidc);
      const token = await signInWithDevice(h, client);
      assert.equal(token.expiresIn, 1);
      await listAccounts(h.sso, token.accessToken);
      const deadline = Date.now() + 3000;
      let error: { name: string } | undefined;
      while (error === undefined && Date.now() < deadline) {
        error = await listAccounts(h.sso, token.accessToken).then(
          () => undefined,
          (e: unknown) => e as { name: string },
        );
        if (error === undefined) await sleep(50);
      }
      assert.equal(error?.name, 'UnauthorizedException');
      const refreshed = await refresh(h.oidc, client, token.refreshToken);
      await listAccounts(h.sso, refreshed.accessToken);
    });
  });

  test('CreateToken checks its input: missing fields, unknown grant types, CreateTokenWithIAM', async () => {
    await withOidc({}, async ({ emulator, oidc }) => {
      const client = await register(oidc);
      const cases: Array<[Record<string, string | undefined>, string]> = [
        [{ grantType: undefined }, 'InvalidRequestException'],
        [{ grantType: 'password' }, 'UnsupportedGrantTypeException'],
        [{ grantType: DEVICE_GRANT }, 'InvalidRequestException'],
        [{ grantType: 'refresh_token' }, 'InvalidRequestException'],
        [{ grantType: 'authorization_code', code: 'x' }, 'InvalidRequestException'],
        [{ grantType: 'authorization_code', code: 'x', redirectUri: REDIRECT }, 'UnauthorizedClientException'],
        [{ grantType: DEVICE_GRANT, clientSecret: 'wrong', deviceCode: 'x' }, 'InvalidClientException'],
      ];
      for (const [input, name] of cases) {
        const error = await failure(
          oidc.send(new CreateTokenCommand({ ...credentials(client), grantType: undefined, ...input })),
        );
        assert.equal(error.name, name, JSON.stringify(input));
      }
      const iam = await fetch(`${emulator.url}/token?aws_iam=t`, { method: 'POST', body: '{}' });
      assert.equal(iam.status, 400);
      assert.equal(iam.headers.get('x-amzn-errortype'), 'InvalidRequestException');
      await iam.arrayBuffer();
      const garbage = await fetch(`${emulator.url}/token`, { method: 'POST', body: '{"clientId":' });
      assert.equal(((await garbage.json()) as { error: string }).error, 'invalid_request');
    });
  });

  test('faults reach OIDC routes by name; the SDK retries a 500 from /token by itself; the throttle leaves OIDC alone', async () => {
    await withOidc(
      { autoApproveDevice: true, faults: [{ route: 'token', times: 1, action: 'unavailable' }] },
      async (h) => {
        const client = await register(h.oidc);
        const error = await failure(signInWithDevice(h, client));
        assert.equal(error.name, 'ServiceUnavailableException');
        assert.equal(error.$metadata.httpStatusCode, 503);
        await signInWithDevice(h, client);
        assert.equal(h.emulator.stats().faultsFired, 1);
      },
    );
    await withOidc(
      { autoApproveDevice: true, faults: [{ route: 'token', times: 1, action: 'server-error' }] },
      async (h) => {
        const client = await register(h.oidc);
        const token = await signInWithDevice(h, client);
        assert.equal(token.$metadata.attempts, 2);
      },
      3,
    );
    await withOidc(
      {
        faults: [
          { route: 'token', action: 'unauthorized' },
          { route: 'register', action: 'malformed' },
        ],
      },
      async (h) => {
        assert.equal((await failure(register(h.oidc))).name, 'SyntaxError');
        h.emulator.setFaults([{ route: 'token', action: 'unauthorized' }]);
        const client = await register(h.oidc);
        const error = await failure(refresh(h.oidc, client, 'aorAnything'));
        assert.equal(error.name, 'InvalidClientException');
      },
    );
    await withOidc({ autoApproveDevice: true, throttle: { ratePerSecond: 0, burst: 1 } }, async (h) => {
      const client = await register(h.oidc);
      const token = await signInWithDevice(h, client);
      await refresh(h.oidc, client, token.refreshToken);
      await listAccounts(h.sso, token.accessToken);
      assert.equal((await failure(listAccounts(h.sso, token.accessToken))).name, 'TooManyRequestsException');
      assert.equal(h.emulator.stats().throttled, 1);
    });
  });

  test('issuedSecrets lists every token, secret, code and accepted verifier', async () => {
    await withOidc({}, async (h) => {
      const { emulator, oidc } = h;
      const client = await register(oidc, {
        grantTypes: [DEVICE_GRANT, 'authorization_code', 'refresh_token'],
        redirectUris: [REDIRECT],
      });
      const device = await oidc.send(
        new StartDeviceAuthorizationCommand({ ...credentials(client), startUrl: START_URL }),
      );
      emulator.approveDevice(device.userCode ?? '');
      const byDevice = await oidc.send(
        new CreateTokenCommand({ ...credentials(client), grantType: DEVICE_GRANT, deviceCode: device.deviceCode }),
      );
      const { token: byCode, code, verifier } = await signInWithCode(h, client);
      const refreshed = await refresh(oidc, client, byCode.refreshToken);
      const handed = emulator.issueAccessToken().accessToken;

      const secrets = new Set(emulator.issuedSecrets());
      const expected = [
        client.clientSecret,
        device.deviceCode,
        byDevice.accessToken,
        byDevice.refreshToken,
        code,
        verifier,
        byCode.accessToken,
        byCode.refreshToken,
        refreshed.accessToken,
        refreshed.refreshToken,
        handed,
      ];
      for (const value of expected)
        assert.ok(value !== undefined && secrets.has(value), `missing ${value?.slice(0, 6)}...`);
      assert.equal(secrets.size, expected.length);
      // The user code is shown to people on purpose, and the client id is in every URL: neither is secret.
      assert.ok(!secrets.has(device.userCode ?? '') && !secrets.has(client.clientId));
    });
  });
});
