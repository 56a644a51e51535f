/**
 * The Node options the service units give the daemon's node, before the script (see src/cli/daemon-tiers.ts):
 * spelled out here rather than imported, so that a change to them is one the tests see.
 */
export const unitNodeOptions = [
  '--no-opt',
  '--no-maglev',
  '--no-sparkplug',
  '--max-semi-space-size=1',
  '--expose-gc',
] as const;
