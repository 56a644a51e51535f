/** The launchd agent: its property list from the template, with every value XML-escaped. */
import { SsoSyncError } from '../errors.js';
import { fillTemplate } from './template.js';
import type { ServicePlan } from './plan.js';

/** The PATH the agent runs with: launchd's own default, stated, for the programs the daemon starts. */
export const launchdPath = '/usr/bin:/bin:/usr/sbin:/sbin';

// Characters XML 1.0 cannot carry at all (not even as references); tab, newline and carriage return it can,
// but a parser turns a carriage return into a newline, so those are refused as well: no path needs them.
const notInXml =
  // eslint-disable-next-line no-control-regex -- the control characters are what this refuses
  /[\u0000-\u001f\u007f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Text content for the plist, escaped; refuses what XML cannot hold. */
export function xmlText(what: string, value: string): string {
  if (notInXml.test(value)) {
    throw new SsoSyncError(
      'usage',
      `cannot write the launchd agent: ${what} ${JSON.stringify(value)} contains a control character, which a ` +
        `property list cannot hold. Use a path without one.`,
    );
  }
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** The property list text: the template with this installation's paths. */
export function renderLaunchdPlist(template: string, plan: ServicePlan): string {
  const variables: ReadonlyArray<readonly [string, string]> = [['PATH', launchdPath], ...plan.environment];
  const environment = variables
    .map(
      ([name, value]) =>
        `\t\t<key>${xmlText('the variable name', name)}</key>\n` +
        `\t\t<string>${xmlText(`the value of ${name}`, value)}</string>`,
    )
    .join('\n');
  return fillTemplate(template, {
    NODE: xmlText('the Node.js binary', plan.nodePath),
    NODE_FLAGS: plan.nodeFlags.map((flag) => `\t\t<string>${xmlText("Node.js's option", flag)}</string>`).join('\n'),
    CLI: xmlText('the sso-sync script', plan.cliPath),
    ENVIRONMENT: environment,
    LOG_DIR: xmlText('the log directory', plan.logDir),
  });
}
