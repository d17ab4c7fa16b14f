/**
 * The error family, one import for callers. The classes live beside this
 * file by subject: base and codes, bundle and folder, plan, database, Lambda.
 */
export * from './errors-base';
export * from './errors-bundle';
export * from './errors-plan';
export * from './errors-database';
export * from './errors-lambda';
export * from './errors-remote';
export * from './errors-gate';
export * from './errors-reverse';
export * from './errors-scratch';
export * from './errors-drift';
export * from './errors-rehearsal';
export * from './errors-squash';
export * from './errors-stage';
export * from './errors-authoring';
export * from './errors-resolve';
export * from './errors-interrupt';
