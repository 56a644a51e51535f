/** The real AWS CLI v2 (Debian's awscli, /usr/bin/aws) and Python with its modules, run on a sandbox's config. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Sandbox } from '../helpers/sandbox.js';

const run = promisify(execFile);
const aws = '/usr/bin/aws';
const python = '/usr/bin/python3';

/** The environment the CLI runs in: the sandbox's, with its config and no pager. */
function cliEnv(box: Sandbox): NodeJS.ProcessEnv {
  return { ...box.env, AWS_CONFIG_FILE: box.configFile, AWS_PAGER: '' };
}

/** Runs `aws` with the arguments; its stdout (rejects with execFile's error, `code` and `stderr`, on a failure). */
export async function awsCli(box: Sandbox, args: string[]): Promise<string> {
  const { stdout } = await run(aws, args, { env: cliEnv(box) });
  return stdout;
}

/**
 * Runs a Python script with the AWS CLI's own modules (`import awscli` puts its botocore first); its stdout, which
 * may be large (the whole config of hundreds of profiles).
 */
export async function cliPython(box: Sandbox, script: string, args: string[] = []): Promise<string> {
  const { stdout } = await run(python, ['-c', `import awscli\n${script}`, ...args], {
    env: cliEnv(box),
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** A config as botocore's loader reads it: the keys of each profile (nested ones, as `s3`, are objects) and session. */
export interface FullConfig {
  profiles: Record<string, Record<string, unknown>>;
  sso_sessions: Record<string, Record<string, string>>;
}

/** Every profile and sso-session of the sandbox's config, read by the CLI's own config loader in one process. */
export async function fullConfig(box: Sandbox): Promise<FullConfig> {
  return JSON.parse(
    await cliPython(box, 'import json, botocore.session\nprint(json.dumps(botocore.session.Session().full_config))'),
  ) as FullConfig;
}
