/**
 * `npm run build`: one minified CJS bundle per function (target node20, source maps), written to
 * dist/<name>/index.js, with the validated config file beside it as `autopilot.json` and an esbuild
 * metafile per bundle in dist/meta/ for finding where the weight goes. `@alicloud/fc2` stays external:
 * the runtime ships it. `local/bundle/slim.ts` removes what the functions never run (zod's locales and
 * JSON Schema converters, the YAML parser, `debug`, bignumber.js); see the table there.
 *
 * The config comes from `AUTOPILOT_BUILD_CONFIG` (YAML or JSON), default `config/autopilot.yaml`; a
 * config with any problem fails the build, listing every one, instead of the cold start.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { slimBundle } from './local/bundle/slim.js';
import { buildConsolePage, pageWeight, writeConsolePage } from './local/console/page-build.js';
import { configDigest } from './shared/config/core.js';
import { checkConfig, readConfigDocument } from './shared/config/file.js';
import { ASSETS_DIR } from './shared/console/assets.js';

const root = path.dirname(fileURLToPath(import.meta.url));

/** The config file each bundle reads (set `AUTOPILOT_CONFIG` to it; s.yaml does). */
export const BUNDLED_CONFIG = 'autopilot.json';

export const FUNCTIONS = readdirSync(path.join(root, 'functions'), { withFileTypes: true })
  .filter(
    (entry) => entry.isDirectory() && existsSync(path.join(root, 'functions', entry.name, 'handler.ts')),
  )
  .map((entry) => entry.name)
  .sort();

/** Bytes of each bundle's index.js. */
export type BundleSizes = Record<string, number>;

/** The console function also serves its page: built for the browser and written beside its bundle. */
const PAGE_FUNCTION = 'console';

/**
 * The config to ship: validated as a whole (throws listing every problem) and written in its parsed form,
 * defaults filled in, so a deployed function whose `autopilot.json` is still exactly this text uses it
 * without validating it again (its digest is stamped into each bundle).
 */
function bundledConfig(file: string): string {
  const { config, issues } = checkConfig(readConfigDocument(file));
  if (!config) {
    throw new Error(`${file} is invalid:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
  }
  const { $schema: _schema, ...rest } = config;
  return `${JSON.stringify(rest, null, 2)}\n`;
}

export interface BuildOptions {
  /** The config to ship (YAML or JSON); default `AUTOPILOT_BUILD_CONFIG`, else config/autopilot.yaml. */
  readonly configFile?: string;
  /** Where to write (emptied first); default `dist` (what s.yaml deploys). */
  readonly outDir?: string;
}

/**
 * How every function is bundled: minified CJS for node20 with source maps, `@alicloud/fc2` external,
 * trimmed by `local/bundle/slim.ts`. Exported so the benchmark bundles its reference code the same way.
 */
export function bundleOptions(entry: string, outdir: string) {
  return {
    entryPoints: { index: entry },
    outdir,
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    metafile: true,
    external: ['@alicloud/fc2'],
    plugins: [slimBundle(root)],
    logLevel: 'warning',
  } satisfies Parameters<typeof build>[0];
}

/** Builds every function; returns the bytes of each bundle. */
export async function buildAll(options: BuildOptions = {}): Promise<BundleSizes> {
  const dist = path.resolve(root, options.outDir ?? 'dist');
  const configFile = path.resolve(
    root,
    options.configFile ?? process.env.AUTOPILOT_BUILD_CONFIG ?? path.join('config', 'autopilot.yaml'),
  );
  const configText = bundledConfig(configFile);
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(path.join(dist, 'meta'), { recursive: true });
  const sizes: BundleSizes = {};
  for (const name of FUNCTIONS) {
    const outdir = path.join(dist, name);
    const result = await build({
      ...bundleOptions(path.join(root, 'functions', name, 'handler.ts'), outdir),
      // Lets shared/runtime.ts resolve a relative AUTOPILOT_CONFIG against the bundle's own folder, and
      // recognise the config this build validated.
      banner: {
        js: `globalThis.__AUTOPILOT_BUNDLE_DIR__=__dirname;globalThis.__AUTOPILOT_CONFIG_DIGEST__=${JSON.stringify(configDigest(configText))};`,
      },
    });
    writeFileSync(path.join(dist, 'meta', `${name}.json`), JSON.stringify(result.metafile));
    writeFileSync(path.join(outdir, BUNDLED_CONFIG), configText);
    // FC loads index.js as CommonJS; say so, or Node would read it as ESM under this repo's "type": "module".
    writeFileSync(
      path.join(outdir, 'package.json'),
      `${JSON.stringify({ private: true, type: 'commonjs' })}\n`,
    );
    if (name === PAGE_FUNCTION) writeConsolePage(await buildConsolePage(), path.join(outdir, ASSETS_DIR));
    const bundle = path.relative(root, path.join(outdir, 'index.js')).split(path.sep).join('/');
    sizes[name] = result.metafile.outputs[bundle]?.bytes ?? 0;
  }
  return sizes;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(root, 'build.ts')) {
  try {
    const sizes = await buildAll();
    for (const [name, bytes] of Object.entries(sizes)) {
      console.log(`dist/${name}/index.js  ${(bytes / 1024).toFixed(1)} KB`);
    }
    const page = pageWeight(await buildConsolePage());
    console.log(
      `dist/${PAGE_FUNCTION}/${ASSETS_DIR}/  the page: ${(page.bytes / 1024).toFixed(1)} KB (${(page.gzip / 1024).toFixed(1)} KB gzipped) in ${page.files.length} files`,
    );
  } catch (error) {
    // A bad config lists every problem: show that, not a stack trace. dist/ is left as it was.
    console.error(`build failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
