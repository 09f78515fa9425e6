import type { Target } from '../jobgroup/target.js';
import type { Issue } from '../validation.js';
import type { ConfigFile } from './core.js';

/** A field of a window's `set` as a lint names it (`status`, `params.ES_ENABLE`) → its value. */
function fieldsOf(target: Target): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, value] of Object.entries(target)) {
    if (key === 'params') for (const [param, v] of Object.entries(value ?? {})) out.set(`params.${param}`, v);
    else out.set(key, value);
  }
  return out;
}

/**
 * Schedules that work as written but surely not as meant: a window whose `to` equals its `from` (it
 * lasts 24 hours), and a field windows set that nothing ever sets back — neither `otherwise` nor a
 * window with another value — so after the first occurrence the group keeps it for good (`status:
 * Stopped` with `otherwise: {planedJobCount: 4}` stops the group for good after the first night).
 * `status: Running` left in force is not warned about, nor a count or param while `otherwise` stops
 * the group.
 */
function lintSchedules(schedules: ConfigFile['schedules']): Issue[] {
  const warnings: Issue[] = [];
  schedules.forEach((schedule, s) => {
    const otherwise = fieldsOf(schedule.otherwise ?? {});
    const values = new Map<string, Set<string>>();
    schedule.windows.forEach((window, w) => {
      if (window.from === window.to) {
        warnings.push({
          path: `schedules[${s}].windows[${w}].to`,
          message: `to equals from (${window.from}): each occurrence lasts 24 hours, until ${window.to} the next day (check that this is meant)`,
        });
      }
      for (const [field, value] of fieldsOf(window.set)) {
        values.set(field, (values.get(field) ?? new Set()).add(JSON.stringify(value)));
      }
    });
    // Not a trap: Running for good is the normal state, and while otherwise stops the group the other
    // fields a window left behind do not matter.
    const stoppedOtherwise = otherwise.get('status') === 'Stopped';
    schedule.windows.forEach((window, w) => {
      for (const [field, value] of fieldsOf(window.set)) {
        if (otherwise.has(field) || (values.get(field)?.size ?? 0) > 1) continue;
        if ((field === 'status' && value === 'Running') || (field !== 'status' && stoppedOtherwise)) continue;
        warnings.push({
          path: `schedules[${s}].windows[${w}].set.${field}`,
          message: `sets ${field} to ${JSON.stringify(value)}, and neither otherwise nor another window ever sets it back: after the first occurrence the group keeps it for good; add ${field} to otherwise`,
        });
      }
    });
  });
  return warnings;
}

/**
 * Warnings about a valid config: things that work as written but fight each other or surely are not
 * meant. A group in an `enforce` schedule that a rule (events or alert hooks) also targets by a literal
 * id — the scheduler re-asserts the schedule every tick, undoing what the rule set, and the next event
 * undoes the tick (the path is the rule's target; ids taken `{from: …}` the event are not known here);
 * and the schedule lints of {@link lintSchedules}.
 *
 * @example
 * for (const warning of lintConfig(config)) console.log(`${warning.path}: ${warning.message}`);
 */
export function lintConfig(config: Pick<ConfigFile, 'schedules' | 'rules'>): Issue[] {
  const scheduleWarnings = lintSchedules(config.schedules);
  const enforcedBy = new Map<string, number>();
  config.schedules.forEach((schedule, index) => {
    if (!schedule.enforce) return;
    for (const id of schedule.jobGroupIds) if (!enforcedBy.has(id)) enforcedBy.set(id, index);
  });
  const warnings: Issue[] = [...scheduleWarnings];
  if (enforcedBy.size === 0) return warnings;
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
