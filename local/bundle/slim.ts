/**
 * The esbuild plugin that keeps each function bundle small: it removes what the functions never run.
 * Every substitution is proven by `test/deploy/bundles.test.ts`, which loads each built bundle and
 * invokes its exported handler with real-shaped FC events against the emulator over real HTTP.
 *
 * | what | why it was there | instead |
 * |---|---|---|
 * | the zod `z` namespace object | `import { z } from 'zod'` re-exports a namespace, which keeps every export of zod: all 40+ locales, `fromJSONSchema`, `compile`, every schema type | our sources' `import { z } from 'zod'` is read as `import * as z from 'zod/v4/classic/external'`, so esbuild keeps only the members used (`z.object`, …) |
 * | all of zod's `util` module | zod's classic schemas import `util` as a re-exported namespace object | that import is read as `import * as util from '../core/util.js'`, so only the helpers used stay |
 * | zod's unused builder methods (`.email()`, `.uuid()`, `.pick()`, `.and()`, … — {@link ZOD_UNUSED_METHOD_CANDIDATES}) | every `z.string()` / `z.object()` carries them, and each keeps its schema class and regexes | methods that throw if called, only for names no source under functions/ or shared/ calls (`.name(` nowhere); the test checks zod never calls them either |
 * | zod's JSON Schema converters | every schema type carries `toJSONSchema` and a JSON Schema processor | stubs that throw if called; the functions never convert (`local/gen-schema.ts` does, from source) |
 * | `yaml` | the config file loader | `stubs/yaml.ts`: JSON only; the build writes the validated config as `autopilot.json` |
 * | `debug` (httpx's and pop-core's) | verbose logging behind `DEBUG=` | `stubs/debug.cts`: always off (it would print signed URLs) |
 * | `json-bigint` + `bignumber.js` | pop-core parses responses with it | `stubs/json-bigint.cts`: native `JSON.parse`, long numbers kept as exact strings |
 * | `fast-sha256` + `@stablelib/base64` | standardwebhooks' HMAC and base64 (pure JS) | `stubs/fast-sha256.cts`, `stubs/stablelib-base64.cts`: node:crypto and Buffer; standardwebhooks still verifies |
 * | pop-core's whole package.json | its user agent names the package version | `{name, version}` only |
 * | `node:stream/promises`, `node:stream/web` (middy) | AWS Lambda response streaming | `stubs/lazy-streams.ts`: required on first use, which FC never makes |
 * | `assert` (pop-core) | checks of the client's constructor config | `stubs/lazy-assert.cts`: node:assert is required only when a check fails |
 * | `zlib` (httpx) | inflating a gzip/deflate-encoded response | `stubs/lazy-zlib.cts`: node:zlib is required on the first encoded response |
 * | most of the `tablestore` SDK's `tablestore_compiled_proto.js` (~630 KB) | the static protobuf code of every Tablestore API | `tablestore-proto.ts`: the SDK's own generated code of only the messages our calls reach (their closure, read from its .proto files) |
 * | the SDK's `sql.js`, `sql_generated.js` and `flatbuffers` | decoding SQLQuery answers | empty modules: SQLQuery is never called |
 * | the SDK's `search.js` | the search index enums (`TableStore.QueryType`, `SortOrder`, …) | an empty module: only search and index members of the codec read them, and those throw (`test/deploy/state-bundle.test.ts` checks no kept member names one) |
 * | the bodies of most members of the SDK's `encoder.js` and `decoder.js` (search, index, SQL, batch, transactions) | every API's request encoding and answer decoding | `tablestore-members.ts`: members no call of ours reaches throw instead (the dispatch table keeps its names) |
 *
 * One fix, not a removal: the SDK assigns undeclared loop variables (`for (pro in …)`, `size += …`,
 * `cell_type = …`), which throws ReferenceError in the bundle (strict: it starts with "use strict"). Each
 * of its files gets a `var` line declaring exactly those names (`sloppy-globals.ts`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';
import { undeclaredAssignments } from './sloppy-globals.js';
import { slimCodec } from './tablestore-members.js';
import { slimTablestoreProto } from './tablestore-proto.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const stubs = path.join(here, 'stubs');

/** Package name → the stub every import of it (from any package) resolves to. */
export const PACKAGE_STUBS: Readonly<Record<string, string>> = {
  yaml: path.join(stubs, 'yaml.ts'),
  debug: path.join(stubs, 'debug.cts'),
  'json-bigint': path.join(stubs, 'json-bigint.cts'),
  'fast-sha256': path.join(stubs, 'fast-sha256.cts'),
  '@stablelib/base64': path.join(stubs, 'stablelib-base64.cts'),
};

/** Node built-ins @middy/core imports only for AWS response streaming → loaded on first use. */
const MIDDY_LAZY_BUILTINS = /^node:stream\/(promises|web)$/;

/** Node built-ins a package needs only on a rare path → a stub that requires them then (built-in, importing package, stub). */
export const LAZY_BUILTINS: ReadonlyArray<readonly [string, string, string]> = [
  ['assert', `${path.sep}@alicloud${path.sep}pop-core${path.sep}`, path.join(stubs, 'lazy-assert.cts')],
  ['zlib', `${path.sep}httpx${path.sep}`, path.join(stubs, 'lazy-zlib.cts')],
];

/** zod's JSON Schema modules (by path inside the zod package) → factories that must not throw when made. */
export const ZOD_JSON_SCHEMA_MODULES: Readonly<Record<string, readonly string[]>> = {
  'v4/core/to-json-schema.js': ['createToJSONSchemaMethod', 'createStandardJSONSchemaMethod'],
  'v4/core/json-schema-processors.js': [],
  'v4/classic/from-json-schema.js': [],
};

/** Text rewrites of zod's own modules: [file inside the zod package, from, to]. Each must apply. */
const ZOD_REWRITES: ReadonlyArray<readonly [string, string, string]> = [
  [
    'v4/classic/schemas.js',
    'import { util } from "../core/index.js";',
    'import * as util from "../core/util.js";',
  ],
  ['v4/classic/schemas.js', 'core.util.constantCatch', 'util.constantCatch'],
];

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Builder methods of zod's classic schemas (`z.string().email()`, `.and()`, …) that reference schema
 * classes — and their regexes — the functions never build. Every `z.string()` carries all of them, so
 * each would keep its class in every bundle. A method is replaced by one that throws only when no
 * source under functions/ or shared/ calls `.<name>(` anywhere; start using one and it is kept.
 */
export const ZOD_UNUSED_METHOD_CANDIDATES: readonly string[] = [
  // string formats
  'email',
  'jwt',
  'emoji',
  'guid',
  'uuid',
  'uuidv4',
  'uuidv6',
  'uuidv7',
  'nanoid',
  'cuid',
  'cuid2',
  'ulid',
  'base64',
  'base64url',
  'xid',
  'ksuid',
  'ipv4',
  'ipv6',
  'cidrv4',
  'cidrv6',
  'e164',
  'date',
  'time',
  'duration',
  // object reshaping (each a copy of the shape under other wrappers)
  'keyof',
  'catchall',
  'passthrough',
  'loose',
  'strict',
  'strip',
  'extend',
  'safeExtend',
  'merge',
  'pick',
  'omit',
  'partial',
  'exactPartial',
  'required',
  // wrappers
  'and',
  'readonly',
  'prefault',
  'nonoptional',
  'exactOptional',
];

/** The candidates no source calls: `.name(` does not occur in any .ts file under functions/ or shared/. */
export function unusedZodMethods(root: string): string[] {
  const sources = ['functions', 'shared']
    .flatMap((dir) =>
      readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts'))
        .map((file) => readFileSync(path.join(root, dir, file), 'utf8')),
    )
    .join('\n');
  return ZOD_UNUSED_METHOD_CANDIDATES.filter((name) => !new RegExp(`\\.${name}\\(`).test(sources));
}

/** `contents` with each named prototype method of zod's classic schemas replaced by a throwing one. */
function stubZodMethods(contents: string, names: readonly string[]): { contents: string; missing: string[] } {
  const missing: string[] = [];
  let out = contents;
  for (const name of names) {
    const method = new RegExp(`^ {4}${name}\\([^)]*\\) \\{\\n(?: {8}.*\\n)+? {4}\\},$`, 'gm');
    const replaced = out.replace(
      method,
      `    ${name}() {\n        throw new Error("zod .${name}() is not bundled: the functions never call it.");\n    },`,
    );
    if (replaced === out) missing.push(name);
    out = replaced;
  }
  return { contents: out, missing };
}

/**
 * A module with the same export names as `original`, each a function that throws (objects become empty
 * objects); the names in `factories` return such a function instead of throwing, because zod calls them
 * while building a schema. Names are read from the module itself, so a zod upgrade cannot go unnoticed.
 */
async function throwingStub(original: string, factories: readonly string[]): Promise<string> {
  const exports = (await import(original)) as Record<string, unknown>;
  const message = `${path.basename(original)} is not bundled: the functions never convert JSON Schema.`;
  const lines = [`const fail = () => { throw new Error(${JSON.stringify(message)}); };`];
  for (const [name, value] of Object.entries(exports)) {
    if (name === 'default') continue;
    const body = factories.includes(name) ? '() => fail' : typeof value === 'function' ? 'fail' : '{}';
    lines.push(`export const ${name} = ${body};`);
  }
  return lines.join('\n');
}

/** `contents` with one `var` line declaring each name it assigns without declaring (the SDK's sloppy globals). */
export function declareSloppyGlobals(contents: string, fileName?: string): string {
  const names = undeclaredAssignments(contents, fileName);
  return names.length === 0 ? contents : `var ${names.join(', ')};\n${contents}`;
}

/** The esbuild plugin; `root` is the repository (sources under functions/ and shared/ are rewritten). */
export function slimBundle(root: string): Plugin {
  const require = createRequire(path.join(root, 'package.json'));
  const zodRoot = path.dirname(require.resolve('zod/package.json'));
  const zodExternal = path.join(zodRoot, 'v4', 'classic', 'external.js');
  const ourSources = new RegExp(`^${escapeRegExp(root)}/(functions|shared)/.*\\.ts$`);
  const zodJsonSchema = new RegExp(
    `^${escapeRegExp(zodRoot)}/(${Object.keys(ZOD_JSON_SCHEMA_MODULES).map(escapeRegExp).join('|')})$`,
  );
  const zodRewritten = new RegExp(
    `^${escapeRegExp(zodRoot)}/(${[...new Set(ZOD_REWRITES.map(([file]) => file))].map(escapeRegExp).join('|')})$`,
  );
  let tablestoreProto: string | undefined;
  const stubbedPackages = new RegExp(`^(${Object.keys(PACKAGE_STUBS).map(escapeRegExp).join('|')})$`);

  return {
    name: 'slim-bundle',
    setup(build) {
      build.onResolve({ filter: stubbedPackages }, (args) => ({ path: PACKAGE_STUBS[args.path] as string }));
      build.onResolve({ filter: /^(node:)?(assert|zlib)$/ }, (args) => {
        const name = args.path.replace(/^node:/, '');
        const lazy = LAZY_BUILTINS.find(
          ([builtin, importer]) => builtin === name && args.importer.includes(importer),
        );
        return lazy ? { path: lazy[2] } : undefined;
      });
      build.onResolve({ filter: MIDDY_LAZY_BUILTINS }, (args) =>
        args.importer.includes(`${path.sep}@middy${path.sep}core${path.sep}`)
          ? { path: path.join(stubs, 'lazy-streams.ts') }
          : undefined,
      );

      build.onLoad({ filter: ourSources }, (args) => {
        const contents = readFileSync(args.path, 'utf8').replace(
          /^import \{ z \} from 'zod';$/gm,
          `import * as z from ${JSON.stringify(zodExternal)};`,
        );
        // Any other value import of zod would bring the namespace (and every locale) back.
        const other = /^import (?!type )[^;]*from 'zod[^']*';$/m.exec(contents);
        if (other) {
          return { errors: [{ text: `import zod as \`import { z } from 'zod'\` only: ${other[0]}` }] };
        }
        return { contents, loader: 'ts' };
      });

      build.onLoad(
        { filter: /[\\/]tablestore[\\/]lib[\\/]protocol[\\/]tablestore_compiled_proto\.js$/ },
        () => {
          tablestoreProto ??= slimTablestoreProto(root).contents;
          return { contents: tablestoreProto, loader: 'js' };
        },
      );
      build.onLoad(
        { filter: /[\\/]tablestore[\\/]lib[\\/](sql|search|protocol[\\/]sql_generated)\.js$/ },
        () => ({
          contents: 'module.exports = {};',
          loader: 'js',
        }),
      );
      build.onLoad({ filter: /[\\/]node_modules[\\/]flatbuffers[\\/].*\.js$/ }, () => ({
        contents: 'exports.flatbuffers = {};',
        loader: 'js',
      }));

      build.onLoad(
        { filter: /[\\/]node_modules[\\/]tablestore[\\/]lib[\\/]protocol[\\/](en|de)coder\.js$/ },
        (args) => {
          const codec = path.basename(args.path, '.js') as 'encoder' | 'decoder';
          const { contents } = slimCodec(readFileSync(args.path, 'utf8'), codec);
          return { contents: declareSloppyGlobals(contents, args.path), loader: 'js' };
        },
      );
      build.onLoad({ filter: /[\\/]node_modules[\\/]tablestore[\\/]lib[\\/].*\.js$/ }, (args) => ({
        contents: declareSloppyGlobals(readFileSync(args.path, 'utf8'), args.path),
        loader: 'js',
      }));

      build.onLoad({ filter: /[\\/]@alicloud[\\/]pop-core[\\/]package\.json$/ }, (args) => {
        const { name, version } = JSON.parse(readFileSync(args.path, 'utf8')) as Record<string, unknown>;
        return { contents: JSON.stringify({ name, version }), loader: 'json' };
      });

      const unusedMethods = unusedZodMethods(root);
      build.onLoad({ filter: zodRewritten }, (args) => {
        const inside = path.relative(zodRoot, args.path).split(path.sep).join('/');
        let contents = readFileSync(args.path, 'utf8');
        if (inside === 'v4/classic/schemas.js') {
          const stubbed = stubZodMethods(contents, unusedMethods);
          if (stubbed.missing.length > 0) {
            return {
              errors: [
                {
                  text: `zod changed: no method ${stubbed.missing.join(', ')} in ${inside}; update ZOD_UNUSED_METHOD_CANDIDATES`,
                },
              ],
            };
          }
          contents = stubbed.contents;
        }
        for (const [file, from, to] of ZOD_REWRITES) {
          if (file !== inside) continue;
          if (!contents.includes(from)) {
            return {
              errors: [{ text: `zod changed: "${from}" is no longer in ${file}; update ZOD_REWRITES` }],
            };
          }
          contents = contents.split(from).join(to);
        }
        return { contents, loader: 'js' };
      });

      build.onLoad({ filter: zodJsonSchema }, async (args) => {
        const inside = path.relative(zodRoot, args.path).split(path.sep).join('/');
        return {
          contents: await throwingStub(args.path, ZOD_JSON_SCHEMA_MODULES[inside] ?? []),
          loader: 'js',
        };
      });
    },
  };
}
