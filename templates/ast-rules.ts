// Compile-time rules, checked on the parsed template before any code is generated: no tags that load other
// templates, no names that lead into the JS object model, only known filters and tests, and Prefect's loop limits
// (at most 10 `for` loops, nested at most 2 deep). validateTemplate() on save and every compile run them.
//
// Implementation notes:
// - Every name the compiler splices into generated code (variables, macro arguments, block names, keyword
//   arguments) must be a plain identifier; this closes the code-injection paths of stock nunjucks.
// - Loop depth counts `for` nodes on the path from the root, as Prefect's `_nested_loop_depth` does, so a loop in
//   a loop's `else` branch counts as nested.
import { TemplateError, type TemplateErrorKind } from './errors';
import { MAX_LOOP_DEPTH, MAX_LOOPS } from './limits';
import { isForbiddenName } from './members';
import { field, isNode, type AstNode } from './nunjucks-internals';

/** What the environment offers, so unknown filters and tests fail at compile time as in Jinja. */
export interface CompileRules {
  hasFilter(name: string): boolean;
  hasTest(name: string): boolean;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

const LOADING_TAGS: Record<string, string> = {
  Include: 'include',
  Extends: 'extends',
  Import: 'import',
  FromImport: 'from ... import',
};

const UNSUPPORTED: Record<string, string> = {
  IfAsync: 'ifAsync',
  AsyncEach: 'asyncEach',
  AsyncAll: 'asyncAll',
  FilterAsync: 'asynchronous filters',
  Super: 'super()',
  CallExtension: 'extension tags',
  CallExtensionAsync: 'extension tags',
};

/** Returns the test name of the right-hand side of `x is name` / `x is name(args)`. */
export function testName(right: AstNode): string {
  const node = right.typename === 'FunCall' ? (field(right, 'name') as AstNode) : right;
  const value = field(node, 'value');
  if (node.typename === 'Literal')
    return value === null ? 'none' : typeof value === 'string' ? value : JSON.stringify(value);
  return node.typename === 'Symbol' && typeof value === 'string' ? value : '';
}

function children(node: AstNode): AstNode[] {
  const out: AstNode[] = [];
  for (const name of node.fields) {
    const value = field(node, name);
    if (isNode(value)) out.push(value);
    else if (Array.isArray(value)) for (const item of value) if (isNode(item)) out.push(item);
  }
  return out;
}

/** Throws a TemplateError when `root` breaks a rule; `source` is attached to the error. */
export function checkTemplate(root: AstNode, rules: CompileRules, source: string): void {
  const fail = (kind: TemplateErrorKind, message: string, node: AstNode): never => {
    throw new TemplateError(kind, message, { line: node.lineno + 1, column: node.colno + 1, source });
  };
  const checkName = (name: unknown, node: AstNode): void => {
    if (typeof name !== 'string' || !IDENTIFIER.test(name)) fail('syntax', `invalid name '${String(name)}'`, node);
    if (isForbiddenName(name as string))
      fail('security', `the name '${String(name)}' is not allowed in templates`, node);
  };
  const checkSymbols = (nodesToCheck: AstNode[], what: string): void => {
    const seen = new Set<string>();
    for (const n of nodesToCheck) {
      const name = field(n, 'value');
      if (n.typename !== 'Symbol') fail('syntax', `${what} must be a name`, n);
      checkName(name, n);
      if (seen.has(String(name))) fail('syntax', `duplicate ${what} '${String(name)}'`, n);
      seen.add(String(name));
    }
  };

  const loopNodes: AstNode[] = [];
  const deepest = { depth: 0, node: root };
  const visit = (node: AstNode, depth: number): void => {
    const tag = LOADING_TAGS[node.typename];
    if (tag) fail('security', `'{% ${tag} %}' is not allowed: templates cannot load other templates`, node);
    const unsupported = UNSUPPORTED[node.typename];
    if (unsupported) fail('security', `${unsupported} is not supported in templates`, node);

    switch (node.typename) {
      case 'Symbol':
        checkName(field(node, 'value'), node);
        break;
      case 'Literal':
        if (field(node, 'value') instanceof RegExp)
          fail('syntax', 'regular expression literals are not supported', node);
        break;
      case 'LookupVal': {
        const key = field(node, 'val') as AstNode;
        const value = field(key, 'value');
        if (key.typename === 'Literal' && typeof value === 'string' && isForbiddenName(value)) {
          fail('security', `access to '${value}' is not allowed in templates`, key);
        }
        break;
      }
      case 'Filter': {
        const name = String(field(field(node, 'name') as AstNode, 'value'));
        if (isForbiddenName(name)) fail('security', `the name '${name}' is not allowed in templates`, node);
        if (!rules.hasFilter(name)) fail('syntax', `no filter named '${name}'`, node);
        for (const arg of children(field(node, 'args') as AstNode)) visit(arg, depth);
        return;
      }
      case 'Is': {
        const right = field(node, 'right') as AstNode;
        const name = testName(right);
        if (isForbiddenName(name)) fail('security', `the name '${name}' is not allowed in templates`, right);
        if (!rules.hasTest(name)) fail('syntax', `no test named '${name}'`, right);
        visit(field(node, 'left') as AstNode, depth);
        if (right.typename === 'FunCall') visit(field(right, 'args') as AstNode, depth);
        return;
      }
      case 'Set': {
        const targets = field(node, 'targets') as AstNode[];
        for (const target of targets) {
          if (target.typename === 'Symbol') continue;
          const key = field(target, 'val') as AstNode | undefined;
          const owner = field(target, 'target') as AstNode | undefined;
          if (
            target.typename !== 'LookupVal' ||
            targets.length > 1 ||
            owner?.typename !== 'Symbol' ||
            key?.typename !== 'Literal'
          ) {
            fail('syntax', 'can only assign to names and namespace attributes (ns.attr)', target);
          }
          checkName(field(key!, 'value'), key!);
        }
        break;
      }
      case 'Pair': {
        const key = field(node, 'key') as AstNode;
        const value = field(key, 'value');
        if (key.typename === 'Literal' && typeof value === 'string') {
          if (isForbiddenName(value)) fail('security', `the key '${value}' is not allowed in templates`, key);
        } else if (key.typename !== 'Symbol') fail('syntax', 'dictionary keys must be strings or names', key);
        break;
      }
      case 'KeywordArgs':
        checkSymbols(
          (field(node, 'children') as AstNode[]).map((p) => field(p, 'key') as AstNode),
          'keyword argument',
        );
        break;
      case 'Macro':
      case 'Caller': {
        const args = field(field(node, 'args') as AstNode, 'children') as AstNode[];
        const positional = args.filter((a) => a.typename !== 'Dict' && a.typename !== 'KeywordArgs');
        const keyword = args
          .filter((a) => a.typename === 'Dict' || a.typename === 'KeywordArgs')
          .flatMap((d) => (field(d, 'children') as AstNode[]).map((p) => field(p, 'key') as AstNode));
        checkSymbols([...positional, ...keyword], 'macro argument');
        break;
      }
      case 'Block':
        checkName(field(field(node, 'name') as AstNode, 'value'), node);
        break;
      case 'For':
        loopNodes.push(node);
        depth += 1;
        if (depth > deepest.depth) [deepest.depth, deepest.node] = [depth, node];
        break;
    }
    for (const child of children(node)) visit(child, depth);
  };
  visit(root, 0);

  const count = loopNodes.length;
  if (count > MAX_LOOPS) {
    fail(
      'limit',
      `Contains ${count} for loops. Templates can contain no more than ${MAX_LOOPS} for loops.`,
      loopNodes[MAX_LOOPS]!,
    );
  }
  if (deepest.depth > MAX_LOOP_DEPTH) {
    const message = `Contains nested for loops at a depth of ${deepest.depth}. Templates can nest for loops no more than ${MAX_LOOP_DEPTH} loops deep.`;
    fail('limit', message, deepest.node);
  }
}
