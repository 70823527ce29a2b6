// Checked AST → JavaScript, through a hardened subclass of nunjucks' compiler. The compiled code calls only the
// sandbox runtime (sandbox.ts), and every name it embeds is validated (ast-rules.ts) or quoted with
// JSON.stringify: stock nunjucks 3.2.4 splices some names into the generated code unescaped, which lets a
// template such as `{{ x["\\\", code()))); //"]() }}` run arbitrary JavaScript at render time.
import { testName, type CompileRules } from './ast-rules';
import { TemplateError } from './errors';
import { compiler, field, nodes, setField, type AstNode, type CompileFrame } from './nunjucks-internals';
import { parseTemplate, syntaxError } from './parse';
import type { RenderFunction } from './sandbox';

/** A compiled template: its root render function and one function per `{% block %}`. */
export interface CompiledTemplate {
  root: RenderFunction;
  blocks: Record<string, RenderFunction>;
}

// Wrappers that must pass nunjucks' expression type check, hence FunCall subclasses.
const IterateNode = nodes.FunCall.extend('TwIterate', { fields: ['arr', 'names'] });
const TruthyNode = nodes.FunCall.extend('TwTruthy', { fields: ['expr'] });
// A loop body run in a scope of its own, so `{% set %}` inside one iteration is gone in the next (Jinja scoping).
const IterationScopeNode = nodes.Node.extend('TwIterationScope', { fields: ['body'] });
// A compiler-made JavaScript expression (only ever a temporary's element, `t_3[0]`).
const RawNode = nodes.FunCall.extend('TwRaw', { fields: ['code'] });

const COMPARE: Record<string, string> = { '==': '==', '===': '==', '!=': '!=', '!==': '!=' };

/** nunjucks' compiler with every runtime-facing construct routed through the sandbox runtime. */
class SandboxCompiler extends compiler.Compiler {
  private expr(node: unknown, frame: CompileFrame): void {
    if (node === null || node === undefined) this._emit('null');
    else this.compile(node as AstNode, frame);
  }

  // Records where the expression is, so a render error can say which line and column failed.
  private at(node: AstNode): void {
    this._emit(`(lineno = ${Number(node.lineno)}, colno = ${Number(node.colno)}, `);
  }

  private call(fn: string, args: unknown[], frame: CompileFrame): void {
    this._emit(`runtime.${fn}(`);
    args.forEach((arg, i) => {
      if (i > 0) this._emit(', ');
      this.expr(arg, frame);
    });
    this._emit(')');
  }

  compileLiteral(node: AstNode): void {
    const value = field(node, 'value');
    if (value === null || typeof value === 'string' || typeof value === 'boolean') this._emit(JSON.stringify(value));
    else if (typeof value === 'number' && Number.isFinite(value)) this._emit(String(value));
    else throw new TemplateError('syntax', 'unsupported literal', { line: node.lineno + 1, column: node.colno + 1 });
  }

  compileSymbol(node: AstNode, frame: CompileFrame): void {
    const name = String(field(node, 'value'));
    const constants: Record<string, string> = { True: 'true', False: 'false', None: 'null' };
    const local = frame.lookup(name);
    if (local) this._emit(local);
    else if (Object.hasOwn(constants, name)) this._emit(constants[name]!);
    else this._emit(`runtime.contextOrFrameLookup(context, frame, ${JSON.stringify(name)})`);
  }

  compileLookupVal(node: AstNode, frame: CompileFrame): void {
    const key = field(node, 'val') as AstNode;
    this.at(node);
    if (key.typename === 'TwSlice') {
      this.call(
        'sliceLookup',
        [field(node, 'target'), field(key, 'start'), field(key, 'stop'), field(key, 'step')],
        frame,
      );
    } else this.call('memberLookup', [field(node, 'target'), key], frame);
    this._emit(')');
  }

  compileFunCall(node: AstNode, frame: CompileFrame): void {
    const callee = field(node, 'name') as AstNode;
    const label = JSON.stringify(describe(callee));
    this.at(node);
    if (callee.typename === 'LookupVal' && (field(callee, 'val') as AstNode).typename !== 'TwSlice') {
      this._emit('runtime.callMethod(');
      this.expr(field(callee, 'target'), frame);
      this._emit(', ');
      this.expr(field(callee, 'val'), frame);
      this._emit(`, ${label}, `);
    } else {
      this._emit('runtime.callWrap(');
      this.expr(callee, frame);
      this._emit(`, ${label}, context, `);
    }
    this._compileAggregate(field(node, 'args') as AstNode, frame, '[', ']');
    this._emit('))');
  }

  compileFilter(node: AstNode, frame: CompileFrame): void {
    const name = JSON.stringify(field(field(node, 'name') as AstNode, 'value'));
    this._emit(`runtime.callFilter(env.getFilter(${name}), context, ${Number(node.lineno)}, ${Number(node.colno)}, `);
    this._compileAggregate(field(node, 'args') as AstNode, frame, '[', ']');
    this._emit(')');
  }

  compileIs(node: AstNode, frame: CompileFrame): void {
    const right = field(node, 'right') as AstNode;
    this._emit(`(env.getTest(${JSON.stringify(testName(right))}).call(context, `);
    this.expr(field(node, 'left'), frame);
    if (right.typename === 'FunCall') {
      this._emit(', ');
      this._compileAggregate(field(right, 'args') as AstNode, frame);
    }
    this._emit(') === true)');
  }

  compileCompare(node: AstNode, frame: CompileFrame): void {
    this._emit('runtime.compare(');
    this.expr(field(node, 'expr'), frame);
    this._emit(', [');
    (field(node, 'ops') as AstNode[]).forEach((op, i) => {
      const type = String(field(op, 'type'));
      this._emit(`${i > 0 ? ', ' : ''}[${JSON.stringify(COMPARE[type] ?? type)}, `);
      this.expr(field(op, 'expr'), frame);
      this._emit(']');
    });
    this._emit('])');
  }

  compileGroup(node: AstNode, frame: CompileFrame): void {
    const children = field(node, 'children') as AstNode[];
    if (children.length === 1) this._compileAggregate(node, frame, '(', ')');
    else this._compileAggregate(node, frame, 'runtime.tuple([', '])');
  }

  compileAnd(node: AstNode, frame: CompileFrame): void {
    this.lazyBinary('and', node, frame);
  }

  compileOr(node: AstNode, frame: CompileFrame): void {
    this.lazyBinary('or', node, frame);
  }

  private lazyBinary(fn: string, node: AstNode, frame: CompileFrame): void {
    this._emit(`runtime.${fn}(`);
    this.expr(field(node, 'left'), frame);
    this._emit(', function () { return ');
    this.expr(field(node, 'right'), frame);
    this._emit('; })');
  }

  compileNot(node: AstNode, frame: CompileFrame): void {
    this.call('not', [field(node, 'target')], frame);
  }

  compileNeg(node: AstNode, frame: CompileFrame): void {
    this.call('neg', [field(node, 'target')], frame);
  }

  compileAdd(node: AstNode, frame: CompileFrame): void {
    this.call('add', [field(node, 'left'), field(node, 'right')], frame);
  }

  compileConcat(node: AstNode, frame: CompileFrame): void {
    this.call('concat', [field(node, 'left'), field(node, 'right')], frame);
  }

  compileSub(node: AstNode, frame: CompileFrame): void {
    this.call('sub', [field(node, 'left'), field(node, 'right')], frame);
  }

  compileMul(node: AstNode, frame: CompileFrame): void {
    this.call('mul', [field(node, 'left'), field(node, 'right')], frame);
  }

  compileDiv(node: AstNode, frame: CompileFrame): void {
    this.call('div', [field(node, 'left'), field(node, 'right')], frame);
  }

  compileFloorDiv(node: AstNode, frame: CompileFrame): void {
    this.call('floorDiv', [field(node, 'left'), field(node, 'right')], frame);
  }

  compileMod(node: AstNode, frame: CompileFrame): void {
    this.call('mod', [field(node, 'left'), field(node, 'right')], frame);
  }

  compileTwTruthy(node: AstNode, frame: CompileFrame): void {
    this.call('truthy', [field(node, 'expr')], frame);
  }

  compileTwIterate(node: AstNode, frame: CompileFrame): void {
    this._emit('runtime.iterate(');
    this.expr(field(node, 'arr'), frame);
    this._emit(`, ${Number(field(node, 'names'))})`);
  }

  override compileIf(node: AstNode, frame: CompileFrame, async?: boolean): void {
    const cond = field(node, 'cond') as AstNode;
    setField(node, 'cond', new TruthyNode(cond.lineno, cond.colno, cond));
    super.compileIf(node, frame, async);
  }

  override compileInlineIf(node: AstNode, frame: CompileFrame): void {
    const cond = field(node, 'cond') as AstNode;
    setField(node, 'cond', new TruthyNode(cond.lineno, cond.colno, cond));
    super.compileInlineIf(node, frame);
  }

  override compileFor(node: AstNode, frame: CompileFrame): void {
    const arr = field(node, 'arr') as AstNode;
    const name = field(node, 'name') as AstNode;
    const names = name.typename === 'Array' ? (field(name, 'children') as AstNode[]).length : 1;
    setField(node, 'arr', new IterateNode(arr.lineno, arr.colno, arr, names));
    const body = field(node, 'body') as AstNode;
    setField(node, 'body', new IterationScopeNode(body.lineno, body.colno, body));
    super.compileFor(node, frame);
  }

  compileTwIterationScope(node: AstNode, frame: CompileFrame): void {
    this._emitLine('frame = frame.push();');
    this.compile(field(node, 'body') as AstNode, frame);
    this._emitLine('frame = frame.pop();');
  }

  override compileSet(node: AstNode, frame: CompileFrame): void {
    const targets = field(node, 'targets') as AstNode[];
    const value = field(node, 'value') ?? field(node, 'body');
    const [target] = targets;
    if (target?.typename === 'LookupVal') {
      // `{% set ns.attr = value %}`: only namespace objects accept it (checked at run time).
      this._emit('runtime.nsSet(');
      this.expr(field(target, 'target'), frame);
      this._emit(`, ${JSON.stringify(field(field(target, 'val') as AstNode, 'value'))}, `);
      this.expr(value, frame);
      this._emitLine(');');
    } else if (targets.length > 1) {
      // `{% set a, b = pair %}` unpacks, as in Python (nunjucks would give each name the whole value).
      const id = this._tmpid();
      this._emit(`var ${id} = runtime.unpack(`);
      this.expr(value, frame);
      this._emitLine(`, ${targets.length});`);
      targets.forEach((name, i) => {
        const element = new RawNode(node.lineno, node.colno, `${id}[${i}]`);
        super.compileSet(new nodes.Set(node.lineno, node.colno, [name], element), frame);
      });
    } else super.compileSet(node, frame);
  }

  compileTwRaw(node: AstNode): void {
    this._emit(String(field(node, 'code')));
  }

  compileOutput(node: AstNode, frame: CompileFrame): void {
    const buffer = (this as unknown as { buffer: string }).buffer;
    for (const child of field(node, 'children') as AstNode[]) {
      if (child.typename === 'TemplateData' && !field(child, 'value')) continue;
      // Literal text goes through suppressValue too, so that it counts against the output budget.
      this._emit(`${buffer} += runtime.suppressValue(`);
      if (child.typename === 'TemplateData') this.compileLiteral(child);
      else this.expr(child, frame);
      this._emit(', env.opts.autoescape);\n');
    }
  }
}

/** Returns a readable name for a callee (`body.items`, `range`), used in error messages. */
function describe(node: AstNode): string {
  switch (node.typename) {
    case 'Symbol':
      return String(field(node, 'value'));
    case 'Literal':
      return String(field(node, 'value'));
    case 'LookupVal': {
      const key = field(node, 'val') as AstNode;
      const inner = describe(field(node, 'target') as AstNode);
      return key.typename === 'Literal' &&
        typeof field(key, 'value') === 'string' &&
        /^\w+$/.test(String(field(key, 'value')))
        ? `${inner}.${String(field(key, 'value'))}`
        : `${inner}[...]`;
    }
    case 'FunCall':
      return `${describe(field(node, 'name') as AstNode)}(...)`;
    default:
      return 'expression';
  }
}

/** Compiles `source` into render functions that run only against the sandbox runtime. */
export function compileTemplate(source: string, rules: CompileRules): CompiledTemplate {
  const ast = parseTemplate(source, rules);
  let code: string;
  try {
    const c = new SandboxCompiler('template', false);
    c.compile(ast, undefined as unknown as CompileFrame);
    code = c.getCode();
  } catch (error) {
    throw syntaxError(error, source);
  }
  // The code comes from SandboxCompiler and a checked AST; strict mode stops it from creating globals.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- evaluating compiled templates is the point
  const factory = new Function(`"use strict";\n${code}`) as () => Record<string, RenderFunction>;
  const props = factory();
  const blocks: Record<string, RenderFunction> = Object.create(null) as Record<string, RenderFunction>;
  for (const [key, fn] of Object.entries(props)) if (key.startsWith('b_')) blocks[key.slice(2)] = fn;
  return { root: props.root!, blocks };
}
