/**
 * `npm run gen:docs`: renders the README's reference tables from the code that owns them — the error
 * table (shared/errors.ts) and the environment reference (local/env-docs.ts, typed against
 * shared/config/env.ts) — between marker comments.
 * `--check` exits 1 when the README is stale (a test runs it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ERROR_TABLE } from '../shared/errors.js';
import { ENV_DOCS } from './env-docs.js';

const README = path.resolve(import.meta.dirname, '..', 'README.md');

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function renderErrorTable(): string {
  const rows = Object.entries(ERROR_TABLE).map(
    ([code, spec]) =>
      `| \`${code}\` | ${spec.status} | ${spec.retryable ? 'yes' : 'no'} | ${spec.expose ? 'yes' : 'no'} | ${cell(spec.message)} |`,
  );
  return ['| code | HTTP | retryable | details shown | what to do |', '|---|---|---|---|---|', ...rows].join(
    '\n',
  );
}

export function renderEnvTable(): string {
  const rows = Object.entries(ENV_DOCS).map(([name, text]) => `| \`${name}\` | ${cell(text)} |`);
  return ['| variable | meaning (default) |', '|---|---|', ...rows].join('\n');
}

export function renderReadme(text: string): string {
  const sections: Record<string, string> = { errors: renderErrorTable(), env: renderEnvTable() };
  let out = text;
  for (const [name, table] of Object.entries(sections)) {
    const pattern = new RegExp(`(<!-- generated:${name} -->)[\\s\\S]*?(<!-- /generated:${name} -->)`);
    if (!pattern.test(out)) throw new Error(`README.md lacks the generated:${name} markers`);
    out = out.replace(pattern, () => `<!-- generated:${name} -->\n${table}\n<!-- /generated:${name} -->`);
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
