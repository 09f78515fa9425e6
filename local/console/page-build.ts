/**
 * Builds the console page: its TypeScript (functions/console/page/main.ts) and stylesheet bundled and
 * minified by esbuild for the browser, each named by its content hash and pinned in index.html with a
 * Subresource Integrity hash, plus the favicon. `npm run build` writes the files beside the console
 * bundle (dist/console/assets/, with a manifest the function reads); `npm start` and the tests build
 * them in memory.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import {
  ASSET_MANIFEST,
  type ConsoleAssetManifest,
  type ConsoleAssets,
} from '../../shared/console/assets.js';

const PAGE = path.resolve(import.meta.dirname, '..', '..', 'functions', 'console', 'page');

export interface PageFile {
  readonly path: string;
  readonly file: string;
  readonly contentType: string;
  readonly immutable: boolean;
  readonly body: Buffer;
}

const hashOf = (body: Buffer) => createHash('sha256').update(body).digest('hex').slice(0, 12);
const integrityOf = (body: Buffer) => `sha384-${createHash('sha384').update(body).digest('base64')}`;

async function bundle(entry: string): Promise<Buffer> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    minify: true,
    format: 'iife',
    platform: 'browser',
    // Browsers of the last few years; nothing newer than the page uses.
    target: ['chrome111', 'edge111', 'firefox115', 'safari16'],
    legalComments: 'none',
    logLevel: 'warning',
    absWorkingDir: PAGE,
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error(`esbuild wrote nothing for ${entry}`);
  return Buffer.from(output.contents);
}

/** The page's files: index.html, the hashed script and stylesheet, the favicon. */
export async function buildConsolePage(): Promise<PageFile[]> {
  const [script, style] = await Promise.all([
    bundle(path.join(PAGE, 'main.ts')),
    bundle(path.join(PAGE, 'console.css')),
  ]);
  const scriptName = `console-${hashOf(script)}.js`;
  const styleName = `console-${hashOf(style)}.css`;
  const html = readFileSync(path.join(PAGE, 'index.html'), 'utf8')
    .replace('{{script}}', `assets/${scriptName}`)
    .replace('{{scriptIntegrity}}', integrityOf(script))
    .replace('{{style}}', `assets/${styleName}`)
    .replace('{{styleIntegrity}}', integrityOf(style));
  return [
    {
      path: '/',
      file: 'index.html',
      contentType: 'text/html; charset=utf-8',
      immutable: false,
      body: Buffer.from(html),
    },
    {
      path: `/assets/${scriptName}`,
      file: scriptName,
      contentType: 'text/javascript; charset=utf-8',
      immutable: true,
      body: script,
    },
    {
      path: `/assets/${styleName}`,
      file: styleName,
      contentType: 'text/css; charset=utf-8',
      immutable: true,
      body: style,
    },
    {
      path: '/favicon.svg',
      file: 'favicon.svg',
      contentType: 'image/svg+xml',
      immutable: false,
      body: readFileSync(path.join(PAGE, 'favicon.svg')),
    },
  ];
}

/** The files as the console function serves them (for `npm start` and tests, without a build). */
export function toConsoleAssets(files: readonly PageFile[]): ConsoleAssets {
  return new Map(files.map((file) => [file.path, file]));
}

/** Writes the files and their manifest into `dir` (the console bundle's `assets/`). */
export function writeConsolePage(files: readonly PageFile[], dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const file of files) writeFileSync(path.join(dir, file.file), file.body);
  const manifest: ConsoleAssetManifest = {
    files: files.map(({ path: urlPath, file, contentType, immutable }) => ({
      path: urlPath,
      file,
      contentType,
      immutable,
    })),
  };
  writeFileSync(path.join(dir, ASSET_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** What the page weighs: bytes and gzip bytes per file, and the total a first load transfers. */
export function pageWeight(files: readonly PageFile[]): {
  files: Array<{ file: string; bytes: number; gzip: number }>;
  bytes: number;
  gzip: number;
} {
  const rows = files.map((file) => ({
    file: file.file,
    bytes: file.body.length,
    gzip: gzipSync(file.body, { level: 9 }).length,
  }));
  return {
    files: rows,
    bytes: rows.reduce((sum, row) => sum + row.bytes, 0),
    gzip: rows.reduce((sum, row) => sum + row.gzip, 0),
  };
}
