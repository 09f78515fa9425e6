/**
 * The `tablestore` SDK assigns names it never declares (`for (pro in …)`, `size += …` in a function whose
 * `var size` is in another, `cell_type = …`): implicit globals in sloppy mode, a ReferenceError in the
 * bundles, which are strict (they start with "use strict", from tsconfig's `strict`). This finds those
 * names per file with TypeScript's parser (function scopes, parameters, var/let/const, functions, catch
 * bindings), so the plugin can declare them at the top of that module.
 */
import ts from 'typescript';

const GLOBALS = new Set([
  'module',
  'exports',
  'require',
  'process',
  'Buffer',
  'console',
  'global',
  'undefined',
]);

/** Names `source` assigns without a declaration in any enclosing function scope or the module. */
export function undeclaredAssignments(source: string, fileName = 'module.js'): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2020, true, ts.ScriptKind.JS);
  const declared = new Map<ts.Node, Set<string>>();
  const scopeOf = (node: ts.Node): ts.Node => {
    let current = node.parent;
    while (current && !ts.isFunctionLike(current) && !ts.isSourceFile(current)) current = current.parent;
    return current ?? file;
  };
  const declare = (scope: ts.Node, name: ts.BindingName) => {
    if (ts.isIdentifier(name)) {
      const names = declared.get(scope) ?? new Set<string>();
      names.add(name.text);
      declared.set(scope, names);
    } else {
      for (const element of name.elements) if (!ts.isOmittedExpression(element)) declare(scope, element.name);
    }
  };
  const assigned: Array<{ name: string; node: ts.Node }> = [];
  const visit = (node: ts.Node) => {
    if (ts.isVariableDeclaration(node) || ts.isBindingElement(node)) declare(scopeOf(node), node.name);
    else if (ts.isParameter(node)) declare(node.parent, node.name);
    else if (ts.isFunctionDeclaration(node) && node.name) declare(scopeOf(node), node.name);
    else if (ts.isCatchClause(node) && node.variableDeclaration)
      declare(scopeOf(node), node.variableDeclaration.name);
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      node.operatorToken.kind <= ts.SyntaxKind.LastAssignment &&
      ts.isIdentifier(node.left)
    ) {
      assigned.push({ name: node.left.text, node });
    }
    if ((ts.isForInStatement(node) || ts.isForOfStatement(node)) && ts.isIdentifier(node.initializer)) {
      assigned.push({ name: node.initializer.text, node });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  const undeclared = new Set<string>();
  for (const { name, node } of assigned) {
    if (GLOBALS.has(name)) continue;
    let scope: ts.Node | undefined = scopeOf(node);
    let found = false;
    while (scope && !found) {
      found = declared.get(scope)?.has(name) ?? false;
      scope = ts.isSourceFile(scope) ? undefined : scopeOf(scope);
    }
    if (!found) undeclared.add(name);
  }
  return [...undeclared].sort();
}
