/**
 * The `tablestore` SDK's `lib/protocol/encoder.js` and `decoder.js` each hold one object literal
 * (`TableStore.encoder = {…}`, `TableStore.decoder = {…}`) with the request encoding and answer decoding
 * of every Tablestore API; most of their weight is search, index, SQL and transaction code the functions
 * never reach. Every member no call of {@link TABLESTORE_OPERATIONS} reaches gets a body that throws
 * instead — the members stay (the SDK's own dispatch table names each), and what runs is the SDK's code,
 * unchanged. Reachability is read from the members' text: `TableStore.encoder.x`, `TableStore.decoder.x`
 * and `this.x` inside a kept member keep `x`.
 */
import ts from 'typescript';
import { TABLESTORE_OPERATIONS } from './tablestore-proto.js';

export type SdkCodec = 'encoder' | 'decoder';

/** The members each codec must keep: its dispatcher and the functions of the operations the product calls. */
export function codecRoots(codec: SdkCodec): string[] {
  const verb = codec === 'encoder' ? 'encode' : 'decode';
  return [verb, ...TABLESTORE_OPERATIONS.map((operation) => `${verb}${operation}`)];
}

interface Member {
  readonly name: string;
  /** The function body's `{ … }`, as offsets into the source. */
  readonly body: { readonly start: number; readonly end: number };
  readonly text: string;
}

/** The members of the object literal assigned to `TableStore.<codec>` whose value is a function. */
function membersOf(file: ts.SourceFile, codec: SdkCodec): Member[] {
  let literal: ts.ObjectLiteralExpression | undefined;
  const visit = (node: ts.Node) => {
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      node.left.getText(file) === `TableStore.${codec}` &&
      ts.isObjectLiteralExpression(node.right)
    ) {
      literal = node.right;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  if (!literal) throw new Error(`tablestore ${codec}.js: no TableStore.${codec} = {…} (the SDK changed)`);
  const members: Member[] = [];
  for (const property of literal.properties) {
    const fn = ts.isMethodDeclaration(property)
      ? property
      : ts.isPropertyAssignment(property) &&
          (ts.isFunctionExpression(property.initializer) || ts.isArrowFunction(property.initializer))
        ? property.initializer
        : undefined;
    if (!fn?.body || !property.name || !ts.isBlock(fn.body)) continue;
    members.push({
      name: property.name.getText(file),
      body: { start: fn.body.getStart(file), end: fn.body.getEnd() },
      text: fn.body.getText(file),
    });
  }
  return members;
}

/**
 * `source` (encoder.js or decoder.js) with every member the roots do not reach answering with an
 * error. Returns the kept and stubbed member names too (the build test checks them).
 */
export function slimCodec(
  source: string,
  codec: SdkCodec,
  roots: readonly string[] = codecRoots(codec),
): { contents: string; kept: string[]; stubbed: string[] } {
  const file = ts.createSourceFile(`${codec}.js`, source, ts.ScriptTarget.ES2020, true, ts.ScriptKind.JS);
  const members = membersOf(file, codec);
  const byName = new Map(members.map((member) => [member.name, member]));
  for (const root of roots) {
    if (!byName.has(root)) throw new Error(`tablestore ${codec}.js has no member ${root} (the SDK changed)`);
  }
  const reference = new RegExp(`(?:TableStore\\.${codec}|this)\\.(\\w+)`, 'g');
  const kept = new Set<string>();
  const queue = [...roots];
  for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
    if (kept.has(name)) continue;
    kept.add(name);
    for (const match of (byName.get(name) as Member).text.matchAll(reference)) {
      const used = match[1] as string;
      if (byName.has(used) && !kept.has(used)) queue.push(used);
    }
  }
  const stubbed = members.filter((member) => !kept.has(member.name));
  let contents = source;
  // From the end, so earlier offsets stay valid.
  for (const member of [...stubbed].sort((a, b) => b.body.start - a.body.start)) {
    const message = `tablestore ${codec}.${member.name} is not bundled: the functions never call it.`;
    contents = `${contents.slice(0, member.body.start)}{ throw new Error(${JSON.stringify(message)}); }${contents.slice(member.body.end)}`;
  }
  return { contents, kept: [...kept].sort(), stubbed: stubbed.map((member) => member.name).sort() };
}
