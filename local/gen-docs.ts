/**
 * `npm run gen:docs`: renders the README's reference tables from the code that owns them — the error
 * table (shared/errors.ts) and the environment schema (shared/config/env.ts) — between marker comments.
 * `--check` exits 1 when the README is stale (a test runs it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EnvSchema } from '../shared/config/env.js';
import { ERROR_TABLE } from '../shared/errors.js';

const README = path.resolve(import.meta.dirname, '..', 'README.md');

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function renderErrorTable(): string {
  const rows = Object.entries(ERROR_TABLE).map(
    ([code, spec]) =>
      `| \`${code}\` | ${spec.status} | ${spec.retryable ? 'yes' : 'no'} | ${spec.expose ? 'yes' : 'no'} | ${cell(spec.message)} |`,
  );
  return [
    '| code | HTTP | retryable | shown to caller | what to do |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

export function renderEnvTable(): string {
  const rows = Object.entries(EnvSchema.shape).map(([name, schema]) => {
    const description = (schema as { description?: string }).description ?? '';
    return `| \`${name}\` | ${cell(description)} |`;
  });
  return ['| variable | meaning (default) |', '|---|---|', ...rows].join('\n');
}

export function renderReadme(text: string): string {
  const sections: Record<string, string> = { errors: renderErrorTable(), env: renderEnvTable() };
  let out = text;
  for (const [name, table] of Object.entries(sections)) {
    const pattern = new RegExp(`(<!-- generated:${name} -->\\n)[\\s\\S]*?(\\n<!-- /generated:${name} -->)`);
    if (!pattern.test(out)) throw new Error(`README.md lacks the generated:${name} markers`);
    out = out.replace(pattern, `$1${table}$2`);
  }
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.dirname, 'gen-docs.ts')) {
  const current = readFileSync(README, 'utf8');
  const next = renderReadme(current);
  if (process.argv.includes('--check')) {
    if (next !== current) {
      console.error('README.md reference tables are stale: run `npm run gen:docs`.');
      process.exit(1);
    }
  } else {
    writeFileSync(README, next);
  }
}
