import type { CloudEvent } from '../fc/eventbridge.js';
import { BatchSchema, changeSchemaFor } from '../intent/index.js';
import { isPlainObject } from './json.js';
import { matchRule, type ResolveResult, RULE_ERROR_CODES, resolveThen } from './match.js';
import type { Rule } from './schema.js';

/**
 * The built-in command event type, applied without any rule: its `data` is the webhook's batch form,
 * `{"changes": [{"action": "scale", "jobGroupId": "3", "planedJobCount": 12}, …]}` (1-500 changes).
 * Anyone who can put an event of this type on the bus could change job groups, so the use case applies
 * it only from the sources listed in `events.commandSources`.
 */
export const COMMAND_EVENT_TYPE = 'autopilot.jobgroup.changes';

/** The `rule` name outcomes of a command event carry; `:` cannot appear in a configured rule name. */
export const COMMAND_RULE_NAME = 'builtin:command';

/** What one rule (or one change of a command event) produced for one event. */
export interface RuleOutcome {
  readonly rule: string;
  /** For command events: the position of the change in `data.changes`. */
  readonly index?: number;
  readonly result: ResolveResult;
}

export interface EvaluateResult {
  /** Empty when nothing matched: the event is acknowledged, not failed. */
  readonly matched: RuleOutcome[];
  /** A command event whose source is not in `commandSources`: its changes were not taken. */
  readonly commandRefused?: true;
}

export interface EvaluateOptions {
  /**
   * Exact sources whose command events are applied. Omitted: every source (for rule-level tests);
   * the events use case always passes the config's `events.commandSources`.
   */
  readonly commandSources?: readonly string[];
}

/**
 * Runs one event through the rules. ALL matching rules apply, in config order (like EventBridge rules,
 * unlike a first-match router), so one alarm can drive several groups through several rules. When two
 * rules touch the same group, their changes are applied in this order. A command event
 * (`COMMAND_EVENT_TYPE`) is applied first, one outcome per change, so one bad change never blocks the
 * others; configured rules that also match it apply as well. A command event from a source not in
 * `options.commandSources` yields no command outcomes and `commandRefused`. Never throws.
 *
 * @example
 * const { matched } = evaluateEvent(config.rules, event);
 * if (matched.length === 0) logger.debug('no rule matched', { id: event.id });
 */
export function evaluateEvent(
  rules: readonly Rule[],
  event: CloudEvent,
  options: EvaluateOptions = {},
): EvaluateResult {
  const command = event.type === COMMAND_EVENT_TYPE;
  const refused =
    command && options.commandSources !== undefined && !options.commandSources.includes(event.source);
  const matched: RuleOutcome[] = command && !refused ? evaluateCommand(event) : [];
  for (const rule of rules) {
    if (matchRule(rule, event)) matched.push({ rule: rule.name, result: resolveThen(rule, event) });
  }
  return refused ? { matched, commandRefused: true } : { matched };
}

function evaluateCommand(event: CloudEvent): RuleOutcome[] {
  const batch = BatchSchema.safeParse(event.data);
  if (!batch.success) {
    const issue = batch.error.issues[0];
    const where = issue && issue.path.length > 0 ? `data.${issue.path.map(String).join('.')}: ` : 'data: ';
    const hint = isPlainObject(event.data) ? '' : ' (expected {"changes": [...]})';
    return [
      {
        rule: COMMAND_RULE_NAME,
        result: {
          ok: false,
          code: RULE_ERROR_CODES.invalidInput,
          field: 'changes',
          message: `${COMMAND_EVENT_TYPE}: ${where}${issue?.message ?? 'invalid'}${hint}`,
        },
      },
    ];
  }
  return batch.data.changes.map((raw, index): RuleOutcome => {
    const change = changeSchemaFor(raw).safeParse(raw);
    if (change.success)
      return { rule: COMMAND_RULE_NAME, index, result: { ok: true, changes: [change.data] } };
    const [first] = change.error.issues;
    const field = first?.path[0] === undefined ? undefined : String(first.path[0]);
    const detail = change.error.issues
      .slice(0, 3)
      .map(
        (issue) =>
          `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(change)'}: ${issue.message}`,
      )
      .join('; ');
    return {
      rule: COMMAND_RULE_NAME,
      index,
      result: {
        ok: false,
        code: RULE_ERROR_CODES.invalidInput,
        message: `${COMMAND_EVENT_TYPE}: changes[${index}]: ${detail}`,
        ...(field === undefined ? {} : { field }),
      },
    };
  });
}
