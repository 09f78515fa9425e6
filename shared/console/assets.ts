import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AutopilotError } from '../errors.js';

/** One file of the page, served by the function itself (no third-party origin, ever). */
export interface ConsoleAsset {
  /** The URL path it is served at: `/`, `/assets/console-1a2b3c4d.js`, `/favicon.svg`. */
  readonly path: string;
  readonly contentType: string;
  readonly body: Buffer;
  /** Named by its content hash: cached for a year; otherwise revalidated on every load. */
  readonly immutable: boolean;
}

/** `assets/manifest.json`, written by the build beside the bundle. */
export interface ConsoleAssetManifest {
  readonly files: ReadonlyArray<{
    readonly path: string;
    readonly file: string;
    readonly contentType: string;
    readonly immutable: boolean;
  }>;
}

export type ConsoleAssets = ReadonlyMap<string, ConsoleAsset>;

/** The folder of the page's files beside a built bundle. */
export const ASSETS_DIR = 'assets';
export const ASSET_MANIFEST = 'manifest.json';

/** The page's files as the build wrote them into `dir` (read once per instance). */
export function readConsoleAssets(dir: string): ConsoleAssets {
  let manifest: ConsoleAssetManifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(dir, ASSET_MANIFEST), 'utf8')) as ConsoleAssetManifest;
  } catch {
    throw new AutopilotError('INTERNAL', {
      message: `The console page was not built: ${ASSET_MANIFEST} is missing from ${ASSETS_DIR}/ (run npm run build).`,
    });
  }
  return new Map(
    manifest.files.map((entry) => [
      entry.path,
      {
        path: entry.path,
        contentType: entry.contentType,
        immutable: entry.immutable,
        body: readFileSync(path.join(dir, path.basename(entry.file))),
      },
    ]),
  );
}

/**
 * The page may run only its own script and style, talk only to this origin, and be framed by nobody:
 * no inline script or style, no `eval`, no third-party origin, and DOM sinks that parse HTML
 * (`innerHTML`, …) refused by Trusted Types (the page builds every node with the DOM API).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  'trusted-types',
].join('; ');

/** Sent with every answer of the console function, page, assets and JSON alike. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};
