// Typed access to the parts of nunjucks that its public typings leave out: the parser, compiler, AST nodes and the
// runtime helpers. The sandbox builds its own pipeline from them, so all the untyped surface is confined here.
import * as nunjucks from 'nunjucks';

/** A node of the template AST. Fields differ by node type; read them with `field()`. */
export interface AstNode {
  readonly typename: string;
  readonly lineno: number;
  readonly colno: number;
  readonly fields: readonly string[];
}

/** A node class; `extend` makes a subclass whose instances dispatch to `compile<name>`. */
export interface NodeClass {
  new (lineno: number, colno: number, ...fields: unknown[]): AstNode;
  extend(name: string, props?: Record<string, unknown>): NodeClass;
}

/** A lexer token; positions are 0-based. */
export interface Token {
  type: string;
  value: string;
  lineno: number;
  colno: number;
}

/** nunjucks' tokenizer; only string-literal scanning is replaced (Python escapes). */
export interface Tokenizer {
  in_code: boolean;
  lineno: number;
  colno: number;
  nextToken(): Token | null;
  _parseString(delimiter: string): string;
  current(): string;
  forward(): void;
  isFinished(): boolean;
}

/** The members of nunjucks' Parser that SandboxParser uses or overrides. */
export interface ParserBase {
  peekToken(): Token | null;
  nextToken(withWhitespace?: boolean): Token | null;
  skip(type: string): boolean;
  expect(type: string): Token;
  parseExpression(): AstNode;
  parseSignature(tolerant?: boolean, noParens?: boolean): AstNode;
  parsePostfix(node: AstNode): AstNode;
  parseAsRoot(): AstNode;
  fail(message: string, lineno?: number, colno?: number): never;
}

/** The compiler's scope tracker (names of the JS variables that hold template variables). */
export interface CompileFrame {
  lookup(name: string): string | null | undefined;
}

/** The members of nunjucks' Compiler that SandboxCompiler uses or overrides. */
export interface CompilerBase {
  _emit(code: string): void;
  _emitLine(code: string): void;
  _tmpid(): string;
  compile(node: AstNode, frame: CompileFrame): void;
  _compileExpression(node: AstNode, frame: CompileFrame): void;
  _compileAggregate(node: AstNode, frame: CompileFrame, startChar?: string, endChar?: string): void;
  compileFor(node: AstNode, frame: CompileFrame): void;
  compileIf(node: AstNode, frame: CompileFrame, async?: boolean): void;
  compileInlineIf(node: AstNode, frame: CompileFrame): void;
  compileSet(node: AstNode, frame: CompileFrame): void;
  getCode(): string;
}

/** Nunjucks' string wrapper for already-safe text; macros return it. */
export interface SafeStringInstance {
  readonly val: string;
  readonly length: number;
}

type NodeName =
  | 'Node'
  | 'Root'
  | 'NodeList'
  | 'Output'
  | 'TemplateData'
  | 'Literal'
  | 'Symbol'
  | 'Group'
  | 'Array'
  | 'Dict'
  | 'Pair'
  | 'KeywordArgs'
  | 'LookupVal'
  | 'FunCall'
  | 'Filter'
  | 'FilterAsync'
  | 'Is'
  | 'If'
  | 'IfAsync'
  | 'InlineIf'
  | 'For'
  | 'AsyncEach'
  | 'AsyncAll'
  | 'Macro'
  | 'Caller'
  | 'Set'
  | 'Block'
  | 'Super'
  | 'Extends'
  | 'Include'
  | 'Import'
  | 'FromImport'
  | 'CallExtension'
  | 'CallExtensionAsync'
  | 'Capture';

interface Internals {
  parser: { Parser: new (tokens: unknown) => ParserBase };
  lexer: {
    lex(src: string, opts: object): Tokenizer;
    TOKEN_LEFT_PAREN: string;
    TOKEN_LEFT_BRACKET: string;
    TOKEN_RIGHT_BRACKET: string;
    TOKEN_OPERATOR: string;
    TOKEN_SYMBOL: string;
    TOKEN_COLON: string;
    TOKEN_LEFT_CURLY: string;
    TOKEN_RIGHT_CURLY: string;
    TOKEN_NONE: string;
    TOKEN_BOOLEAN: string;
  };
  compiler: { Compiler: new (templateName: string, throwOnUndefined: boolean) => CompilerBase };
  nodes: Record<NodeName, NodeClass>;
  runtime: {
    SafeString: new (value: string) => SafeStringInstance;
    makeMacro(argNames: string[], kwargNames: string[], body: (...args: unknown[]) => unknown): CallableFunction;
  };
  lib: { TemplateError: new (message: string, lineno?: number, colno?: number) => Error };
}

const internals = nunjucks as unknown as Internals;

/** nunjucks' parser, lexer, compiler, AST node classes and runtime helpers. */
export const { parser, lexer, compiler, nodes, runtime } = internals;

/** Nunjucks' own error class (parse and compile failures arrive as instances of it). */
export const NunjucksError = internals.lib.TemplateError;

/** Returns a node's field by name (`target`, `val`, `children`, ...). */
export function field(node: AstNode, name: string): unknown {
  return (node as unknown as Record<string, unknown>)[name];
}

/** Sets a node's field; used by the compile-time rewrites. */
export function setField(node: AstNode, name: string, value: unknown): void {
  (node as unknown as Record<string, unknown>)[name] = value;
}

/** Returns true when `value` is an AST node. */
export function isNode(value: unknown): value is AstNode {
  return value instanceof nodes.Node;
}

/** Returns true when `value` is a nunjucks SafeString (macro output, `caller()`). */
export function isSafeString(value: unknown): value is SafeStringInstance {
  return value instanceof runtime.SafeString;
}
