/** The service of sso-sync (systemd user unit, launchd agent): what the command-line composition root calls. */
export { defaultCliPath, serviceCommand, type ServiceAction, type ServiceOptions } from './service-command.js';
export { execFileRunner, type CommandResult, type CommandRunner } from './run-command.js';
export {
  launchdLabel,
  serviceFile,
  servicePlan,
  systemdUnitName,
  type ServiceInputs,
  type ServicePlan,
  type ServicePlatform,
} from './plan.js';
export { renderSystemdUnit } from './systemd-unit.js';
export { renderLaunchdPlist } from './launchd-plist.js';
export { readServiceTemplate } from './template.js';
