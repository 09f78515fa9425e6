import type { Issue } from '../validation.js';
import type { ConfigFile } from './core.js';

/**
 * Warnings about a valid config: things that work as written but fight each other. Today one: a group
 * in an `enforce` schedule that a rule (events or alert hooks) also targets by a literal id — the
 * scheduler re-asserts the schedule every tick, undoing what the rule set, and the next event undoes
 * the tick. Each warning's path is the rule's target; ids taken `{from: …}` the event are not known here.
 *
 * @example
 * for (const warning of lintConfig(config)) console.log(`${warning.path}: ${warning.message}`);
 */
export function lintConfig(config: Pick<ConfigFile, 'schedules' | 'rules'>): Issue[] {
  const enforcedBy = new Map<string, number>();
  config.schedules.forEach((schedule, index) => {
    if (!schedule.enforce) return;
    for (const id of schedule.jobGroupIds) if (!enforcedBy.has(id)) enforcedBy.set(id, index);
  });
  if (enforcedBy.size === 0) return [];
  const warnings: Issue[] = [];
  const warn = (path: string, id: unknown) => {
    if (typeof id !== 'string') return;
    const schedule = enforcedBy.get(id);
    if (schedule === undefined) return;
    warnings.push({
      path,
      message:
        `job group "${id}" is also in schedules[${schedule}] ("${config.schedules[schedule]?.name}"), ` +
        'which enforces it every tick: the schedule and this rule would undo each other',
    });
  };
  config.rules.forEach((rule, index) => {
    const then = rule.then as Record<string, unknown>;
    warn(`rules[${index}].then.jobGroupId`, then.jobGroupId);
    if (Array.isArray(then.jobGroupIds)) {
      for (const [k, id] of then.jobGroupIds.entries()) warn(`rules[${index}].then.jobGroupIds[${k}]`, id);
    }
  });
  return warnings;
}
