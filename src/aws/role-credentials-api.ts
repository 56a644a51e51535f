/**
 * The portal's GetRoleCredentials, as `sso-sync credentials` uses it: one call, behind an interface owned here so
 * that the command depends on the call, not on the SDK.
 */
import { GetRoleCredentialsCommand, SSOClient } from '@aws-sdk/client-sso';
import { MalformedAnswerError } from './portal-answers.js';
import { portalEndpoint } from './sso-api.js';

/** Role credentials as the portal issues them; secrets, never to be logged or put in a message. */
export interface RoleCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/** The one portal call `sso-sync credentials` makes. */
export interface RoleCredentialsApi {
  /** Where the call goes (the region's portal, or AWS_ENDPOINT_URL_SSO), for messages. */
  endpoint(): string;
  getRoleCredentials(accessToken: string, accountId: string, roleName: string): Promise<RoleCredentials>;
}

/** A RoleCredentialsApi on the SDK's SSO client for one region; `AWS_ENDPOINT_URL_SSO` points it elsewhere. */
export function createRoleCredentialsApi(region: string, env: NodeJS.ProcessEnv): RoleCredentialsApi {
  // The AWS CLI waits for credential_process as long as it takes: the timeouts bound that wait, and three
  // attempts absorb a passing failure without keeping a person's command waiting for minutes.
  const client = new SSOClient({
    region,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 20_000, throwOnRequestTimeout: true },
  });
  return {
    endpoint: () => portalEndpoint(region, env),
    async getRoleCredentials(accessToken, accountId, roleName) {
      const answer = await client.send(new GetRoleCredentialsCommand({ accessToken, accountId, roleName }));
      const c = answer.roleCredentials;
      const { accessKeyId, secretAccessKey, sessionToken, expiration } = c ?? {};
      if (!accessKeyId || !secretAccessKey || !sessionToken || typeof expiration !== 'number')
        // Which fields are missing, never their values.
        throw new MalformedAnswerError('the portal answered GetRoleCredentials without complete role credentials');
      return { accessKeyId, secretAccessKey, sessionToken, expiration: new Date(expiration) };
    },
  };
}
