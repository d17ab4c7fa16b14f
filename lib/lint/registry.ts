import { COMPATIBILITY_RULES } from './rules-compat';
import { LOCK_RULES } from './rules-locks';
import { TRANSACTION_RULES } from './rules-transaction';
import { LintRuleId, type LintRule } from './rule';

/** Findings made outside the statement rules (parsing, directives): listed so every id is documented. */
const none = (): string[] => [];
const META_RULES: readonly LintRule[] = [
  {
    id: LintRuleId.SYNTAX_ERROR,
    flags: 'SQL the PostgreSQL parser rejects, at the position it names',
    saferForm: 'Fix the SQL at that position; the server would refuse it the same way.',
    allowable: false,
    check: none,
  },
  {
    id: LintRuleId.ALLOW_UNKNOWN_RULE,
    flags: 'a -- stagegate:allow directive naming a rule that does not exist (or that cannot be switched off)',
    saferForm: 'Name one of the rule ids listed by the README (e.g. index-not-concurrent), or remove the directive.',
    allowable: false,
    check: none,
  },
  {
    id: LintRuleId.ALLOW_NEEDS_REASON,
    flags: 'a -- stagegate:allow directive without a reason',
    saferForm: '-- stagegate:allow <rule> <why this is safe here>, e.g. "the table is empty until the next release".',
    allowable: false,
    check: none,
  },
  {
    id: LintRuleId.BAD_DIRECTIVE,
    flags: 'any other malformed or misplaced -- stagegate: directive',
    saferForm: 'Fix the directive as the message says; directives go in the comment lines at the top of the file.',
    allowable: false,
    check: none,
  },
];

/**
 * Every lint rule, in the order findings of one statement are reported. Ids
 * are stable: allow directives and pipelines name them.
 *
 * @example
 * LINT_RULES.find((r) => r.id === 'drop-column')?.saferForm;
 */
export const LINT_RULES: readonly LintRule[] = [...COMPATIBILITY_RULES, ...LOCK_RULES, ...TRANSACTION_RULES, ...META_RULES];

const BY_ID = new Map<string, LintRule>(LINT_RULES.map((r) => [r.id, r]));

/**
 * The rule with this id, or undefined.
 *
 * @example
 * lintRule('cluster')?.allowable; // true
 */
export function lintRule(id: string): LintRule | undefined {
  return BY_ID.get(id);
}
