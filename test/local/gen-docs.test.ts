import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderErrorTable, renderReadme } from '../../local/gen-docs.js';
import { ENV_KEYS } from '../../shared/config/env.js';
import { ERROR_TABLE } from '../../shared/errors.js';

const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');

describe('README reference tables', () => {
  it('are up to date with the error table and the environment schema (run `npm run gen:docs`)', () => {
    expect(renderReadme(readme)).toBe(readme);
  });

  it('list every error code and every environment variable', () => {
    for (const code of Object.keys(ERROR_TABLE)) expect(readme).toContain(`| \`${code}\` |`);
    for (const key of ENV_KEYS) expect(readme).toContain(`| \`${key}\` |`);
  });

  it('render a status, retryable flag and operator message per code', () => {
    expect(renderErrorTable()).toContain(
      '| `InvalidJobGroupId.NotFound` | 404 | no | yes | The job group does not exist in CityVisual; check the id. |',
    );
  });
});
