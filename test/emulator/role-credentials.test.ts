/** The emulator's GetRoleCredentials through the real SSO SDK client: credentials for assigned roles only. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GetRoleCredentialsCommand, SSOClient } from '@aws-sdk/client-sso';
import { builtinFixture } from '../../src/emulator/fixture.js';
import { startEmulator, type Emulator } from '../../src/emulator/server.js';

async function withEmulator(body: (emulator: Emulator, client: SSOClient) => Promise<void>): Promise<void> {
  const emulator = await startEmulator({ fixture: builtinFixture(), roleCredentialsLifetimeSeconds: 900 });
  const client = new SSOClient({ region: 'eu-north-1', endpoint: emulator.url, maxAttempts: 1 });
  try {
    await body(emulator, client);
  } finally {
    client.destroy();
    await emulator.stop();
  }
}

const assigned = () => {
  const account = builtinFixture().accounts.find((a) => a.roles.length > 0)!;
  return { accountId: account.accountId, roleName: account.roles[0]! };
};

test('an assigned role gets fresh credentials that expire after the configured lifetime', async () => {
  await withEmulator(async (emulator, client) => {
    const accessToken = emulator.issueAccessToken().accessToken;
    const before = Date.now();
    const { roleCredentials: c } = await client.send(new GetRoleCredentialsCommand({ accessToken, ...assigned() }));
    assert.ok(c);
    const issued = emulator.issuedRoleCredentials();
    assert.equal(issued.length, 1);
    assert.equal(c.accessKeyId, issued[0]!.accessKeyId);
    assert.equal(c.secretAccessKey, issued[0]!.secretAccessKey);
    assert.equal(c.sessionToken, issued[0]!.sessionToken);
    assert.match(c.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
    // The service sends milliseconds since the epoch.
    assert.ok(c.expiration !== undefined && c.expiration >= before + 900_000 && c.expiration <= Date.now() + 900_000);
    assert.equal(emulator.stats().byRoute.credentials, 1);
  });
});

test('a role not assigned, or an unknown account, is 403 ForbiddenException "No access", as the service answers', async () => {
  await withEmulator(async (emulator, client) => {
    const accessToken = emulator.issueAccessToken().accessToken;
    const { accountId } = assigned();
    for (const request of [
      { accountId, roleName: 'NotAssignedRole' },
      { accountId: '999999999999', roleName: 'AdministratorAccess' },
    ]) {
      await assert.rejects(
        client.send(new GetRoleCredentialsCommand({ accessToken, ...request })),
        (error: unknown) => {
          const e = error as { name: string; message: string; $metadata: { httpStatusCode?: number } };
          assert.equal(e.name, 'ForbiddenException');
          assert.equal(e.$metadata.httpStatusCode, 403);
          assert.equal(e.message, 'No access');
          return true;
        },
      );
    }
    assert.equal(emulator.issuedRoleCredentials().length, 0);
  });
});

test('an expired or unknown token is 401 UnauthorizedException', async () => {
  await withEmulator(async (emulator, client) => {
    for (const accessToken of [emulator.issueAccessToken({ expiresInSeconds: 0 }).accessToken, 'aoa-unknown']) {
      await assert.rejects(
        client.send(new GetRoleCredentialsCommand({ accessToken, ...assigned() })),
        (error: unknown) => (error as { name: string }).name === 'UnauthorizedException',
      );
    }
    assert.equal(emulator.issuedRoleCredentials().length, 0);
  });
});
