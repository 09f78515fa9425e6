/**
 * `npm run build`: one minified CJS bundle per function (target node20, source maps), written to
 * dist/<name>/index.js with the config file copied beside it, plus an esbuild metafile per bundle in
 * dist/meta/ for finding where the weight goes. `@alicloud/fc2` stays external: the runtime ships it.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.dirname(new URL(import.meta.url).pathname);
const dist = path.join(root, 'dist');
const configFile = path.join(root, 'config', 'autopilot.yaml');

export const FUNCTIONS = readdirSync(path.join(root, 'functions'), { withFileTypes: true })
  .filter(
    (entry) => entry.isDirectory() && existsSync(path.join(root, 'functions', entry.name, 'handler.ts')),
  )
  .map((entry) => entry.name)
  .sort();

export async function buildAll(): Promise<Record<string, number>> {
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(path.join(dist, 'meta'), { recursive: true });
  const sizes: Record<string, number> = {};
  for (const name of FUNCTIONS) {
    const outdir = path.join(dist, name);
    const result = await build({
      entryPoints: { index: path.join(root, 'functions', name, 'handler.ts') },
      outdir,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      minify: true,
      sourcemap: true,
      legalComments: 'none',
      metafile: true,
      external: ['@alicloud/fc2'],
      // Lets shared/runtime.ts resolve a relative AUTOPILOT_CONFIG against the bundle's own folder.
      banner: { js: 'globalThis.__AUTOPILOT_BUNDLE_DIR__=__dirname;' },
      logLevel: 'warning',
    });
    writeFileSync(path.join(dist, 'meta', `${name}.json`), JSON.stringify(result.metafile));
    if (existsSync(configFile)) copyFileSync(configFile, path.join(outdir, 'autopilot.yaml'));
    const output = result.metafile.outputs[path.relative(process.cwd(), path.join(outdir, 'index.js'))];
    sizes[name] = output?.bytes ?? 0;
  }
  return sizes;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(root, 'build.ts')) {
  const sizes = await buildAll();
  for (const [name, bytes] of Object.entries(sizes)) {
    console.log(`dist/${name}/index.js  ${(bytes / 1024).toFixed(1)} KB`);
  }
}
