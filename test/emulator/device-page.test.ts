/**
 * The device verification page a person opens from `sso-sync login --device-code`: it shows the code, approves or
 * denies with a form (no script), and refuses codes it cannot decide with a clear 4xx page.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ListAccountsCommand, SSOClient } from '@aws-sdk/client-sso';
import {
  CreateTokenCommand,
  RegisterClientCommand,
  SSOOIDCClient,
  StartDeviceAuthorizationCommand,
} from '@aws-sdk/client-sso-oidc';
import { builtinFixture } from '../../src/emulator/fixture.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/server.js';
import { until } from '../helpers/until.js';
import { buttons, openPage, pageText, pressButton } from './device-browser.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const START_URL = 'https://d-1234567890.awsapps.com/start';

/** A device authorization waiting for the person, as a client started it. */
interface Started {
  emulator: Emulator;
  userCode: string;
  /** The URL the client prints: the page for this code. */
  pageUrl: string;
  /** One CreateToken poll with the device code: the access token, or the name of the error. */
  poll: () => Promise<{ accessToken: string } | { error: string }>;
  listAccounts: (accessToken: string) => Promise<number>;
}

/** Runs `body` with an emulator and a device authorization of a client named `clientName`; tears everything down. */
async function withDevice(
  body: (s: Started) => Promise<void>,
  options: { clientName?: string; emulator?: Partial<EmulatorOptions> } = {},
): Promise<void> {
  // No poll interval: the tests poll once, right after the decision.
  const emulator = await startEmulator({ fixture: builtinFixture(), deviceInterval: 0, ...options.emulator });
  const oidc = new SSOOIDCClient({ region: 'eu-north-1', endpoint: emulator.url, maxAttempts: 1 });
  const sso = new SSOClient({ region: 'eu-north-1', endpoint: emulator.url, maxAttempts: 1 });
  try {
    const client = await oidc.send(
      new RegisterClientCommand({
        clientName: options.clientName ?? 'sso-sync',
        clientType: 'public',
        grantTypes: [DEVICE_GRANT],
      }),
    );
    const credentials = { clientId: client.clientId, clientSecret: client.clientSecret };
    const device = await oidc.send(new StartDeviceAuthorizationCommand({ ...credentials, startUrl: START_URL }));
    assert.ok(device.userCode && device.verificationUriComplete);
    await body({
      emulator,
      userCode: device.userCode,
      pageUrl: device.verificationUriComplete,
      poll: () =>
        oidc
          .send(new CreateTokenCommand({ ...credentials, grantType: DEVICE_GRANT, deviceCode: device.deviceCode }))
          .then(
            (token) => ({ accessToken: token.accessToken ?? '' }),
            (error: unknown) => ({ error: (error as Error).name }),
          ),
      listAccounts: async (accessToken) =>
        (await sso.send(new ListAccountsCommand({ accessToken }))).accountList?.length ?? 0,
    });
  } finally {
    oidc.destroy();
    sso.destroy();
    await emulator.stop();
  }
}

test('the page shows the code and the client, offers Approve and Deny in a form, and a GET decides nothing', async () => {
  await withDevice(async ({ emulator, userCode, pageUrl, poll }) => {
    const page = await openPage(pageUrl);
    assert.equal(page.status, 200);
    assert.match(page.contentType, /^text\/html/);
    const text = pageText(page.html);
    assert.match(text, /The application sso-sync asks to sign in/);
    assert.ok(text.includes(userCode), text);
    assert.deepEqual(buttons(page.html), ['Approve', 'Deny']);
    assert.doesNotMatch(page.html, /<script/i, 'the page works without JavaScript');

    // Opening it again, or with what a button would send in the query, still decides nothing.
    await openPage(pageUrl);
    await openPage(`${pageUrl}&decision=approve`);
    assert.deepEqual(emulator.pendingDeviceAuthorizations(), [userCode]);
    assert.deepEqual(await poll(), { error: 'AuthorizationPendingException' });
  });
});

test('Approve: the next poll gets a token the portal accepts, and the code cannot be decided again', async () => {
  await withDevice(async ({ userCode, pageUrl, poll, listAccounts }) => {
    const page = await openPage(pageUrl);
    const approved = await pressButton(pageUrl, page.html, 'approve');
    assert.equal(approved.status, 200);
    assert.match(pageText(approved.html), /^Approved Approved: you can close this tab\./);

    const token = await poll();
    assert.ok('accessToken' in token, JSON.stringify(token));
    assert.equal(await listAccounts(token.accessToken), builtinFixture().accounts.length);

    for (const again of [await openPage(pageUrl), await pressButton(pageUrl, page.html, 'deny')]) {
      assert.equal(again.status, 409);
      assert.ok(pageText(again.html).includes(`The sign-in with the code ${userCode} was already approved`));
    }
  });
});

test('Deny: the next poll is AccessDeniedException, and a later Approve is refused and changes nothing', async () => {
  await withDevice(async ({ pageUrl, poll }) => {
    const page = await openPage(pageUrl);
    const denied = await pressButton(pageUrl, page.html, 'deny');
    assert.equal(denied.status, 200);
    assert.match(pageText(denied.html), /^Denied Denied: the sign-in with the code \S+ will not go ahead\./);

    const late = await pressButton(pageUrl, page.html, 'approve');
    assert.equal(late.status, 409);
    assert.match(pageText(late.html), /was already denied/);
    assert.deepEqual(await poll(), { error: 'AccessDeniedException' });
  });
});

test('an unknown code, an expired code and an incomplete form each get a 4xx page and decide nothing', async () => {
  await withDevice(
    async ({ emulator, userCode, pageUrl, poll }) => {
      const unknown = await openPage(`${emulator.url}/device?user_code=ZZZZ-ZZZZ`);
      assert.equal(unknown.status, 404);
      assert.match(pageText(unknown.html), /No sign-in of this emulator shows the code ZZZZ-ZZZZ\./);
      const forged = await fetch(`${emulator.url}/device`, {
        method: 'POST',
        body: new URLSearchParams({ user_code: 'ZZZZ-ZZZZ', decision: 'approve' }),
      });
      assert.equal(forged.status, 404);

      const incompleteForms: Record<string, string>[] = [
        { user_code: userCode },
        { user_code: userCode, decision: 'maybe' },
        { decision: 'approve' },
      ];
      for (const form of incompleteForms) {
        const incomplete = await fetch(`${emulator.url}/device`, { method: 'POST', body: new URLSearchParams(form) });
        assert.equal(incomplete.status, 400, JSON.stringify(form));
        assert.match(pageText(await incomplete.text()), /needs a user_code and a decision of approve or deny/);
      }
      assert.deepEqual(emulator.pendingDeviceAuthorizations(), [userCode]);

      // The code lives one second.
      await until('the device code to expire', () => emulator.pendingDeviceAuthorizations().length === 0);
      const page = await openPage(pageUrl);
      assert.equal(page.status, 410);
      assert.ok(pageText(page.html).includes(`The code ${userCode} has expired`));
      const late = await fetch(`${emulator.url}/device`, {
        method: 'POST',
        body: new URLSearchParams({ user_code: userCode, decision: 'approve' }),
      });
      assert.equal(late.status, 410);
      assert.deepEqual(await poll(), { error: 'ExpiredTokenException' });
    },
    { emulator: { deviceCodeLifetimeSeconds: 1 } },
  );
});

test('the code can be typed: the bare URL asks for it, and any case, spaces or no dash find the same sign-in', async () => {
  await withDevice(async ({ emulator, userCode }) => {
    const bare = await openPage(`${emulator.url}/device`);
    assert.equal(bare.status, 200);
    assert.match(bare.html, /<form method="get" action="\/device">/);
    assert.match(bare.html, /<input name="user_code"/);

    const typed = ` ${userCode.replace('-', ' ').toLowerCase()} `;
    const page = await openPage(`${emulator.url}/device?${new URLSearchParams({ user_code: typed }).toString()}`);
    assert.equal(page.status, 200);
    assert.ok(pageText(page.html).includes(userCode));
    const approved = await pressButton(`${emulator.url}/device`, page.html, 'approve');
    assert.equal(approved.status, 200);
    assert.deepEqual(emulator.pendingDeviceAuthorizations(), []);
  });
});

test("a client's name is shown as text, never as markup", async () => {
  const name = '<script>alert("x")</script> & Co';
  await withDevice(
    async ({ pageUrl }) => {
      const page = await openPage(pageUrl);
      assert.equal(page.status, 200);
      assert.doesNotMatch(page.html, /<script/i);
      assert.ok(page.html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co'), page.html);
      assert.ok(pageText(page.html).includes(`The application ${name} asks to sign in`));
    },
    { clientName: name },
  );
});

test('with --auto-approve the page says the code is approved already, and why', async () => {
  await withDevice(
    async ({ pageUrl, poll }) => {
      const page = await openPage(pageUrl);
      assert.equal(page.status, 409);
      assert.match(pageText(page.html), /was already approved \(this emulator was started with --auto-approve/);
      assert.ok('accessToken' in (await poll()));
    },
    { emulator: { autoApproveDevice: true } },
  );
});

test('the other routes answer as before: an unknown path is still a JSON 404', async () => {
  const emulator = await startEmulator({ fixture: builtinFixture() });
  try {
    const response = await fetch(`${emulator.url}/device/elsewhere`);
    assert.equal(response.status, 404);
    assert.equal(response.headers.get('x-amzn-errortype'), 'UnknownOperationException');
    assert.equal((await fetch(`${emulator.url}/device`, { method: 'PUT' })).status, 405);
  } finally {
    await emulator.stop();
  }
});
