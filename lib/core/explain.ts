/**
 * Explanations of the classic deploy-time failures: what the migration
 * wanted, what the live database holds, and the way out. Pure: the facts
 * come from the adapter (see `failure-subject.ts`), the bundle's other
 * migrations from the engine. Never prints row values, only counts.
 */
import type { MigrationFailure } from './errors-database';
import { addersOf, creatorsOf, mergedLate, type BundleKnowledge, type Makers } from './bundle-makers';
import { subjectOf, type FailureText, type LiveColumn, type LiveFacts, type LiveRelation, type QualifiedName } from './failure-subject';

export type { BundleKnowledge } from './bundle-makers';

/** The words added to a failure. */
export interface Explanation {
  /** One sentence: what the migration tried, and why the database refused. */
  summary: string;
  /** The object concerned, e.g. `table public.org`. */
  object: string;
  /** What the live database holds about it. */
  liveState: string;
  /** What to do: adopt it, fix the migration, or fix the stage. */
  wayOut: string;
}

/** A failure as `explainFailure` reads it. */
export interface ExplainInput extends FailureText {
  migration: string;
  file: string;
  line: number;
  facts?: LiveFacts;
}

/** At most this many columns, and about this many characters of them, are listed in a sentence. */
const MAX_LISTED_COLUMNS = 12;
const MAX_LISTED_CHARS = 300;

const qualified = (n: QualifiedName | LiveRelation): string => (n.schema ? `${n.schema}.${n.name}` : n.name);

function describeColumn(c: LiveColumn): string {
  return `${c.name} ${c.type}${c.nullable ? '' : ' not null'}${c.default !== null ? ` default ${c.default}` : ''}`;
}

function columnsOf(relation: LiveRelation, describe: (c: LiveColumn) => string = describeColumn): string {
  const listed: string[] = [];
  let chars = 0;
  for (const column of relation.columns.slice(0, MAX_LISTED_COLUMNS)) {
    const text = describe(column);
    if (listed.length > 0 && chars + text.length > MAX_LISTED_CHARS) break;
    listed.push(text);
    chars += text.length + 2;
  }
  const more = relation.columns.length - listed.length + (relation.columnsOmitted ?? 0);
  return `(${listed.join(', ')}${more > 0 ? `, and ${more} more` : ''})`;
}

function liveRelation(relation: LiveRelation | null | undefined, missing: string): string {
  if (relation === undefined) return 'It could not be inspected after the failure.';
  if (relation === null) return missing;
  return relation.columns.length > 0 ? `The live database has ${relation.kind} ${qualified(relation)} with columns ${columnsOf(relation)}.` : `The live database has ${relation.kind} ${qualified(relation)}.`;
}

function adoptOrFix(input: ExplainInput, what: string, stageFix: string): string {
  return (
    `Adopt it if it is what the migration would create (\`stagegate adopt ${input.migration}\` proves the live objects match, then records the migration as applied); ` +
    `or fix the migration (IF NOT EXISTS is not a fix for a hand-made ${what} that differs: it would hide the difference on this stage only); ` +
    `or fix the stage (${stageFix}, then run again).`
  );
}

function relationExists(input: ExplainInput, name: QualifiedName, knowledge: BundleKnowledge | undefined): Explanation {
  const relation = input.facts?.relation;
  const kind = relation?.kind ?? 'relation';
  const creators = creatorsOf(name.name, input.migration, knowledge);
  const origin =
    creators.applied.length > 0
      ? ` Applied migration ${creators.applied.join(', ')} creates it too.`
      : creators.pending.length > 0
        ? ` Pending migration ${creators.pending.join(', ')} creates it too.`
        : knowledge?.freshLedger
          ? ' No other migration of this bundle creates it, and the ledger records no migration on this database yet: it was made by hand, or by a history this ledger does not know.'
          : knowledge
            ? ' No other migration of this bundle creates it: it was most likely made by hand.'
            : '';
  const byHand = adoptOrFix(input, kind, `drop the hand-made ${kind} ${qualified(relation ?? name)} if nothing needs it`);
  const wayOut =
    creators.applied.length > 0
      ? `Fix the migration: ${creators.applied[0]} already created ${kind} ${name.name}${mergedLate(input.migration, creators.applied[0] as string, knowledge)}; remove the duplicate CREATE from ${input.file} or give the new object another name.`
      : knowledge?.freshLedger
        ? `Drop nothing yet: if this database was migrated before (by another tool, under another ledger schema (--schema), or restored without the ledger's schema), point stagegate at that ledger, or adopt each migration whose objects exist, in order (\`stagegate adopt ${input.migration}\` first). ${byHand}`
        : byHand;
  return {
    summary: `${input.file}:${input.line} creates ${kind} "${name.name}", but the database already has one.`,
    object: `${kind} ${qualified(relation ?? name)}`,
    liveState: liveRelation(relation, `No ${kind} of that name was found afterwards.`) + origin,
    wayOut,
  };
}

function columnExists(input: ExplainInput, table: QualifiedName, column: string, knowledge: BundleKnowledge | undefined): Explanation {
  const live = input.facts?.column;
  const liveColumn = live ? `The live column is ${qualified(input.facts?.relation ?? table)}.${describeColumn(live)}.` : liveRelation(input.facts?.relation, `Table ${qualified(table)} was not found afterwards.`);
  const adders = addersOf(table.name, column, input.migration, knowledge);
  const adder = adders.applied[0];
  const origin = adder ? ` Applied migration ${adders.applied.join(', ')} adds it too.` : adders.pending.length > 0 ? ` Pending migration ${adders.pending.join(', ')} adds it too.` : '';
  return {
    summary: `${input.file}:${input.line} adds column "${column}" to table ${qualified(table)}, but the table already has it.`,
    object: `column ${qualified(table)}.${column}`,
    liveState: liveColumn + origin,
    wayOut: adder
      ? `Fix the migration: ${adder} already added column ${column} to ${table.name}${mergedLate(input.migration, adder, knowledge)}; remove the duplicate ADD COLUMN from ${input.file}, or change the column in a new migration after ${adder}.`
      : adoptOrFix(input, 'column', `drop the hand-added column ${column} if it holds nothing you need`),
  };
}

/**
 * What the bundle says of a missing object another migration makes: made by
 * a pending migration that does not run first (a dependency not declared),
 * or by an applied one (then gone since). Null when none of them makes it.
 */
function madeElsewhere(makers: Makers, input: ExplainInput, verb: string): { state: string; wayOut: string } | null {
  const [pending, applied] = [makers.pending[0], makers.applied[0]];
  if (pending !== undefined) {
    return {
      state: ` Pending migration ${makers.pending.join(', ')} ${verb} it, but does not run before ${input.migration}.`,
      wayOut: `Declare the dependency: add \`-- stagegate:depends-on ${pending}\` to the top of ${input.file}, so that ${pending} runs first.`,
    };
  }
  if (applied !== undefined) {
    return {
      state: ` Applied migration ${makers.applied.join(', ')} ${verb} it: it was dropped or renamed since, by hand or by another migration.`,
      wayOut: `Fix the stage if it should still be there (${applied} is recorded as applied, but what it made is gone: \`stagegate drift\` shows what else changed); or fix the migration if it was removed on purpose.`,
    };
  }
  return null;
}

function missingReference(input: ExplainInput, target: QualifiedName, column: string | null, knowledge: BundleKnowledge | undefined): Explanation {
  const referenced = input.facts?.referenced;
  const names = referenced ? columnsOf(referenced, (c) => c.name) : '';
  const liveState = referenced === null ? `Table ${qualified(target)} does not exist.` : referenced ? `Table ${qualified(referenced)} has the columns ${names}.` : liveRelation(undefined, '');
  const what = column ? `${qualified(target)} (${column})` : qualified(target);
  const elsewhere = madeElsewhere(column ? addersOf(target.name, column, input.migration, knowledge) : creatorsOf(target.name, input.migration, knowledge), input, column ? 'adds' : 'creates');
  return {
    summary: `${input.file}:${input.line} declares a foreign key to ${what}, which does not exist${column ? `: ${qualified(target)} has no column "${column}"` : ''}.`,
    object: column ? `column ${qualified(target)}.${column}` : `table ${qualified(target)}`,
    liveState: liveState + (elsewhere?.state ?? ''),
    wayOut:
      elsewhere?.wayOut ??
      `Fix the migration: reference a column that exists (usually the primary key)${column ? '' : ' or a table that exists'}; or, if it should exist, fix the stage: the migration that creates it is not applied here or not declared as a dependency (\`-- stagegate:depends-on <id>\` makes it run first).`,
  };
}

function missingColumn(input: ExplainInput, table: QualifiedName | null, column: string, knowledge: BundleKnowledge | undefined): Explanation {
  const elsewhere = table ? madeElsewhere(addersOf(table.name, column, input.migration, knowledge), input, 'adds') : null;
  return {
    summary: `${input.file}:${input.line} uses column "${column}"${table ? ` of ${qualified(table)}` : ''}, which does not exist.`,
    object: table ? `column ${qualified(table)}.${column}` : `column ${column}`,
    liveState: liveRelation(input.facts?.relation, table ? `Table ${qualified(table)} does not exist.` : 'The table could not be named.') + (elsewhere?.state ?? ''),
    wayOut:
      elsewhere?.wayOut ??
      'Fix the migration to use a column that exists; or, if the column should exist, fix the stage: the migration that adds it is not applied here or not declared as a dependency (`-- stagegate:depends-on <id>`).',
  };
}

function missingRelation(input: ExplainInput, name: QualifiedName, knowledge: BundleKnowledge | undefined): Explanation {
  const found = input.facts?.elsewhere ?? [];
  const elsewhere = madeElsewhere(creatorsOf(name.name, input.migration, knowledge), input, 'creates');
  return {
    summary: `${input.file}:${input.line} uses relation "${qualified(name)}", which does not exist.`,
    object: `relation ${qualified(name)}`,
    liveState:
      (found.length > 0 ? `It is not on the search path; a relation of that name exists in schema ${found.join(', ')}.` : 'No relation of that name exists in any schema of the database.') +
      (elsewhere?.state ?? ''),
    wayOut:
      elsewhere?.wayOut ??
      'Fix the migration (qualify the name, or declare the migration that creates it with `-- stagegate:depends-on <id>` so it runs first); or fix the stage, if it should have that table and does not.',
  };
}

function duplicateObject(input: ExplainInput, object: { kind: string; name: string }, table: QualifiedName | null, knowledge: BundleKnowledge | undefined): Explanation {
  const existing = input.facts?.existing;
  const creators = object.kind === 'type' ? creatorsOf(object.name, input.migration, knowledge) : { applied: [], pending: [] };
  const on = table ? ` on ${qualified(table)}` : '';
  const state = existing ? `The live database has ${existing.kind} ${existing.name}${on}${existing.definition ? `: ${existing.definition}` : ''}.` : existing === null ? 'It was not found afterwards.' : `The live database already has ${object.kind} ${object.name}${on}.`;
  return {
    summary: `${input.file}:${input.line} creates ${object.kind} "${object.name}"${on}, but it already exists.`,
    object: `${object.kind} ${object.name}${on}`,
    liveState: state + (creators.applied.length > 0 ? ` Applied migration ${creators.applied.join(', ')} creates it too.` : ''),
    wayOut: adoptOrFix(input, object.kind, `drop the hand-made ${object.kind} if nothing needs it`),
  };
}

function notNull(input: ExplainInput, table: QualifiedName | null, column: string | null): Explanation {
  const rows = input.facts?.rowCount;
  const where = `${table ? qualified(table) : 'the table'}${column ? `.${column}` : ''}`;
  const adding = /\badd\b/i.test(input.statement) && !/set\s+not\s+null/i.test(input.statement);
  return {
    summary: adding
      ? `${input.file}:${input.line} adds NOT NULL column ${where} without a DEFAULT, and the table already has rows.`
      : `${input.file}:${input.line} would leave NULL in NOT NULL column ${where}.`,
    object: `column ${where}`,
    liveState: rows !== undefined ? `The live table holds ${rows} row${rows === 1 ? '' : 's'}.` : 'The table could not be counted after the failure.',
    wayOut:
      'Fix the migration: give the column a DEFAULT, or add it nullable, fill it, and SET NOT NULL in a later migration. The stage is not wrong: an empty development database simply does not show this.',
  };
}

function uniqueOverDuplicates(input: ExplainInput, table: QualifiedName | null, keyColumns: string[] | null): Explanation {
  const groups = input.facts?.duplicateGroups;
  const key = keyColumns ? ` (${keyColumns.join(', ')})` : '';
  const name = input.pgObject?.constraint;
  return {
    summary: `${input.file}:${input.line} needs ${table ? qualified(table) : 'the table'}${key} to be unique${name ? ` (index ${name})` : ''}, but the live data has duplicates.`,
    object: `${name ? `index ${name} on ` : ''}${table ? qualified(table) : 'table'}${key}`,
    liveState:
      groups !== undefined ? `${groups} group${groups === 1 ? ' of rows shares' : 's of rows share'} a value of${key || ' the key'} (values are not shown).` : 'The duplicates could not be counted after the failure (values are not shown).',
    wayOut:
      'Fix the stage\'s data: remove or merge the duplicates, best in a migration before this one so every stage gets the same fix; or fix the migration if the key should not be unique.',
  };
}

function lockNotAvailable(input: ExplainInput, table: QualifiedName | null): Explanation {
  const holders = input.facts?.holders ?? [];
  const described = holders.map((h) => `pid ${h.pid} (${h.application || 'unnamed'}, ${h.state}${h.transactionSeconds !== null ? `, transaction open for ${h.transactionSeconds} s` : ''})`);
  return {
    summary: `${input.file}:${input.line} waited longer than lock_timeout for a lock${table ? ` on ${qualified(table)}` : ''} that another session holds.`,
    object: table ? `table ${qualified(table)}` : 'a lock',
    liveState: described.length > 0 ? `Held by ${described.join('; ')}.` : 'No session held a lock on it when checked afterwards: run again.',
    wayOut:
      'Let the blocking session finish, or end it (`select pg_terminate_backend(<pid>)`), then run again. The short lock_timeout is deliberate: it keeps a migration from queueing live traffic behind its lock.',
  };
}

/**
 * The explanation of a failure, or null when stagegate has none for its
 * SQLSTATE: 42P07, 42701, 42703, 42P01, 42710, 23502, 23505 and 55P03.
 *
 * @example
 * const explanation = explainFailure({ migration: 'org/0002_x', file: 'org/0002_x.sql', line: 1, sqlstate: '42P07',
 *   pgMessage: 'relation "org" already exists', statement: 'CREATE TABLE org (id int)', facts: { relation: null } });
 * explanation?.wayOut; // 'Adopt it if … `stagegate adopt org/0002_x` …'
 */
export function explainFailure(input: ExplainInput, knowledge?: BundleKnowledge): Explanation | null {
  const subject = subjectOf(input);
  if (subject === null) return null;
  const { relation, column, referenced } = subject;
  switch (subject.sqlstate) {
    case '42P07':
      return relation ? relationExists(input, relation, knowledge) : null;
    case '42701':
      return relation && column ? columnExists(input, relation, column, knowledge) : null;
    case '42703':
      if (referenced) return missingReference(input, referenced, column, knowledge);
      return column ? missingColumn(input, relation, column, knowledge) : null;
    case '42P01':
      if (referenced) return missingReference(input, referenced, null, knowledge);
      return relation ? missingRelation(input, relation, knowledge) : null;
    case '42710':
      return subject.object ? duplicateObject(input, subject.object, relation, knowledge) : null;
    case '23502':
      return notNull(input, relation, column);
    case '23505':
      return uniqueOverDuplicates(input, relation, subject.keyColumns);
    case '55P03':
      return lockNotAvailable(input, relation);
    default:
      return null;
  }
}

/**
 * The failure with its explanation, when stagegate has one for it; otherwise unchanged.
 *
 * @example
 * throw error.with(explained(error.failure, { migrations: bundle.migrations, applied }));
 */
export function explained(failure: MigrationFailure, knowledge?: BundleKnowledge): MigrationFailure {
  const explanation = explainFailure(failure, knowledge);
  return explanation ? { ...failure, explanation } : failure;
}
