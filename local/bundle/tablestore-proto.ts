/**
 * The `tablestore` SDK's `lib/protocol/tablestore_compiled_proto.js` (2.6 MB of source, ~630 KB minified)
 * is the static protobufjs module generated for every Tablestore API. The bundles carry only the messages
 * the product's calls reach: their closure is read from the SDK's own `.proto` files with protobufjs (which
 * the SDK depends on), and the generated code of exactly those messages is cut out of the SDK's file, so
 * what runs is the SDK's code, unchanged. An enum stays when a kept message uses it or the SDK's own files
 * name it (they read several while loading). Of each kept
 * message only `create`, `encode` and `decode` stay: the SDK never calls `verify`, `fromObject`,
 * `toObject`, `toJSON` or the delimited forms (a test loads the built bundle against the emulator).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * The requests and responses of the operations the functions call. CreateTable and DescribeTable are
 * `store init`'s, which runs from a terminal with the whole SDK, never from a bundle.
 */
export const TABLESTORE_OPERATIONS = [
  'GetRow',
  'PutRow',
  'UpdateRow',
  'DeleteRow',
  'GetRange',
  'BatchGetRow',
] as const;

interface ReflectionObject {
  name: string;
  parent: ReflectionObject | null;
  fieldsArray?: Array<{ resolvedType: ReflectionObject | null }>;
  nestedArray?: ReflectionObject[];
}

/** Names (top level of their package) of every message reachable from `roots`. */
function closure(roots: ReflectionObject[]): Set<string> {
  const seen = new Set<ReflectionObject>();
  const visit = (type: ReflectionObject) => {
    if (seen.has(type)) return;
    seen.add(type);
    for (const field of type.fieldsArray ?? []) if (field.resolvedType) visit(field.resolvedType);
    for (const nested of type.nestedArray ?? []) visit(nested);
  };
  for (const root of roots) visit(root);
  const names = new Set<string>();
  for (const type of seen) {
    let top = type;
    // Climb to the member of the package namespace (`main.proto.X`).
    while (top.parent?.parent?.parent?.parent) top = top.parent;
    names.add(top.name);
  }
  return names;
}

const UNUSED_METHOD =
  /^ {12}\w+\.(verify|fromObject|toObject|encodeDelimited|decodeDelimited|getTypeUrl|prototype\.toJSON) = function/;

/** A message block without the methods the SDK never calls. */
function withoutUnusedMethods(lines: readonly string[]): string[] {
  const out: string[] = [];
  let skipping = false;
  for (const line of lines) {
    if (!skipping && UNUSED_METHOD.test(line)) skipping = true;
    if (!skipping) out.push(line);
    else if (line === '            };') skipping = false;
  }
  return out;
}

/** The slimmed module's source, and how many messages of each package it kept. */
export function slimTablestoreProto(root: string): { contents: string; kept: Record<string, string[]> } {
  const require = createRequire(path.join(root, 'package.json'));
  const protobuf = require('protobufjs') as {
    loadSync(file: string): { lookupType(name: string): ReflectionObject; resolveAll(): unknown };
  };
  const protocol = path.join(path.dirname(require.resolve('tablestore/package.json')), 'lib', 'protocol');
  const main = protobuf.loadSync(path.join(protocol, 'tablestore.proto'));
  main.resolveAll();
  const filter = protobuf.loadSync(path.join(protocol, 'tablestore_filter.proto'));
  filter.resolveAll();
  const keep: Record<string, Set<string>> = {
    main: closure([
      main.lookupType('main.proto.Error'),
      ...TABLESTORE_OPERATIONS.flatMap((op) => [
        main.lookupType(`main.proto.${op}Request`),
        main.lookupType(`main.proto.${op}Response`),
      ]),
    ]),
    // Row conditions are encoded as these.
    filter: closure(
      ['Filter', 'SingleColumnValueFilter', 'CompositeColumnValueFilter', 'ColumnPaginationFilter'].map((n) =>
        filter.lookupType(`filter.proto.${n}`),
      ),
    ),
    search: new Set(),
  };

  const source = readFileSync(path.join(protocol, 'tablestore_compiled_proto.js'), 'utf8').split('\n');
  // Every `<something>Protos.Name` / `proto.Name` the SDK's other files mention (enums read at load time).
  const lib = path.dirname(protocol);
  const sdkText = readdirSync(lib, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.js') && !file.endsWith('tablestore_compiled_proto.js'))
    .map((file) => readFileSync(path.join(lib, file), 'utf8'))
    .join('\n');
  const namedBySdk = new Set(
    [...sdkText.matchAll(/(?:Protos|proto)\.([A-Z]\w*)/g)].map((m) => m[1] as string),
  );
  const out: string[] = [];
  const kept: Record<string, string[]> = { main: [], filter: [], search: [] };
  let pkg: string | undefined;
  let block: { name: string; lines: string[] } | undefined;
  for (const line of source) {
    const opens = /^\$root\.(\w+) = \(function\(\) \{$/.exec(line);
    if (opens) pkg = opens[1];
    if (block) {
      block.lines.push(line);
      if (line === '        })();') {
        const isEnum = block.lines.some((l) => l.includes('valuesById = {}'));
        const wanted = keep[pkg ?? '']?.has(block.name) || (isEnum && namedBySdk.has(block.name));
        if (pkg !== 'search' && wanted) {
          out.push(...(isEnum ? block.lines : withoutUnusedMethods(block.lines)));
          kept[pkg ?? '']?.push(block.name);
        }
        block = undefined;
      }
      continue;
    }
    const starts = /^ {8}proto\.(\w+) = \(function\(\) \{$/.exec(line);
    if (starts) {
      block = { name: starts[1] as string, lines: [line] };
      continue;
    }
    out.push(line);
  }
  for (const [name, wanted] of Object.entries(keep)) {
    const missing = [...wanted].filter((n) => !kept[name]?.includes(n));
    // Enums are kept wholesale and not listed in `kept`; anything else missing means the SDK changed.
    const unexplained = missing.filter(
      (n) => !source.some((l) => l === `        proto.${n} = (function() {`),
    );
    if (unexplained.length > 0)
      throw new Error(`tablestore_compiled_proto.js lacks ${unexplained.join(', ')}`);
  }
  return { contents: out.join('\n'), kept };
}
