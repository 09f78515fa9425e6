import type { ConfigSection } from '../config/core.js';
import { type Rule, RuleSchema, validateRules } from './schema.js';

/** `rules:` of the config file, as the events function and the alert hooks read it. */
export const rulesSection: ConfigSection = {
  key: 'rules',
  entry: RuleSchema,
  validate: (entries, config) => validateRules(entries as Rule[], config.holds),
};
