/** The flag that lets uncommitted migrations through, with a warning. */
const ALLOW_UNCOMMITTED = {
  usage: 'Bundle migrations that are not committed in git (warns; for a personal stage only)',
  type: 'boolean',
} as const;

/** Apply migrations the previous stage (custom.stagegate.stages) has not applied yet; needs --reason. */
const OVERRIDE_STAGE_ORDER = {
  'override-stage-order': { usage: 'Apply migrations the previous stage has not applied yet (needs --reason; recorded)', type: 'boolean' },
  reason: { usage: 'Why the stage order is overridden; kept in the runs table and the stage record', type: 'string' },
} as const;

const stageRun = (usage: string, override = false): Record<string, unknown> => ({
  usage,
  lifecycleEvents: ['run'],
  options: { 'allow-uncommitted': ALLOW_UNCOMMITTED, ...(override ? OVERRIDE_STAGE_ORDER : {}) },
});

/**
 * The plugin's commands, and the flag it adds to `package` and `deploy`.
 * Option `type` is required by v3's CLI parser.
 */
export const GATE_COMMANDS = {
  migrate: {
    ...stageRun('Apply the committed migrations to this stage through its migrate function (no code deploy, no alias move)', true),
    commands: {
      plan: stageRun('Show which migrations this stage would apply, in order'),
      status: stageRun('Show the state of every migration on this stage'),
    },
  },
  promote: {
    usage: 'Point the live alias at an earlier version, after checking that its migrations match the database',
    lifecycleEvents: ['run'],
    options: {
      // Not --version: the framework takes that one for itself before any plugin runs.
      to: { usage: 'The published version of the function to serve (e.g. 11)', type: 'string', required: true },
      function: { usage: 'The promoted function (default: the only one, or the first of custom.stagegate.promote)', shortcut: 'f', type: 'string' },
      force: { usage: 'Promote even when the version does not match the applied migrations', type: 'boolean' },
      reason: { usage: 'Why --force was needed; kept in the alias description', type: 'string' },
    },
  },
  package: { options: { 'allow-uncommitted': ALLOW_UNCOMMITTED } },
  deploy: { options: { 'allow-uncommitted': ALLOW_UNCOMMITTED, ...OVERRIDE_STAGE_ORDER } },
} as const;
