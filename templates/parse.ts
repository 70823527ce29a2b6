// Template source → checked AST: nunjucks' lexer and parser with Jinja's string escapes, slices and nested dict
// literals, syntax errors rewritten for template authors (with 1-based positions), then the rules of
// ast-rules.ts. validateTemplate() runs exactly this plus code generation.
import { checkTemplate, type CompileRules } from './ast-rules';
import { TemplateError } from './errors';
import { lexer, nodes, NunjucksError, parser, type AstNode, type Token, type Tokenizer } from './nunjucks-internals';

/** Python's `x[start:stop:step]`; compiled by SandboxCompiler.compileLookupVal. */
const SliceNode = nodes.Node.extend('TwSlice', { fields: ['start', 'stop', 'step'] });
/** nunjucks' parser, plus Python slices (`sha[:7]`, `items[-3:]`, `s[::-1]`) and a memory of its position. */
class SandboxParser extends parser.Parser {
  /** The last token read: where errors nunjucks reports without a position happened. */
  lastToken: Token | undefined;

  override nextToken(withWhitespace?: boolean): Token | null {
    const tok = super.nextToken(withWhitespace);
    if (tok) this.lastToken = tok;
    return tok;
  }

  override parsePostfix(node: AstNode): AstNode {
    let result = node;
    for (let tok = this.peekToken(); tok; tok = this.peekToken()) {
      if (tok.type === lexer.TOKEN_LEFT_PAREN) {
        result = new nodes.FunCall(tok.lineno, tok.colno, result, this.parseSignature());
      } else if (tok.type === lexer.TOKEN_LEFT_BRACKET) {
        result = this.parseSubscript(result, tok);
      } else if (tok.type === lexer.TOKEN_OPERATOR && tok.value === '.') {
        this.nextToken();
        const name = this.nextToken();
        const nameTypes = [lexer.TOKEN_SYMBOL, lexer.TOKEN_NONE, lexer.TOKEN_BOOLEAN];
        if (!name || !nameTypes.includes(name.type)) {
          this.fail(`expected a name after '.', got '${name?.value ?? 'end of template'}'`, name?.lineno, name?.colno);
        }
        const key = new nodes.Literal(name.lineno, name.colno, name.value);
        result = new nodes.LookupVal(tok.lineno, tok.colno, result, key);
      } else break;
    }
    return result;
  }

  private parseSubscript(target: AstNode, open: Token): AstNode {
    this.nextToken();
    const parts: (AstNode | null)[] = [];
    let current: AstNode | null = null;
    for (;;) {
      const tok = this.peekToken();
      if (!tok) this.fail("expected ']' but the template ended", open.lineno, open.colno);
      if (tok.type === lexer.TOKEN_RIGHT_BRACKET) {
        this.nextToken();
        break;
      }
      if (tok.type === lexer.TOKEN_COLON) {
        this.nextToken();
        parts.push(current);
        current = null;
        if (parts.length > 2) this.fail('too many slice components', tok.lineno, tok.colno);
      } else if (current === null) {
        current = this.parseExpression();
      } else {
        this.fail(`unexpected token '${tok.value}' in subscript`, tok.lineno, tok.colno);
      }
    }
    parts.push(current);
    if (parts.length === 1) {
      if (!current) this.fail('expected an index inside [ ]', open.lineno, open.colno);
      return new nodes.LookupVal(open.lineno, open.colno, target, current);
    }
    const slice = new SliceNode(open.lineno, open.colno, parts[0] ?? null, parts[1] ?? null, parts[2] ?? null);
    return new nodes.LookupVal(open.lineno, open.colno, target, slice);
  }
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"', '\n': '' }; // prettier-ignore

/**
 * Scans a string literal with Python's escapes (`\u00b0`, `\x41`, `\101`; unknown escapes such as `\d` keep
 * their backslash), as Jinja does; nunjucks itself knows only `\n`, `\t` and `\r`.
 */
function scanPythonString(this: Tokenizer, delimiter: string): string {
  this.forward();
  let out = '';
  while (!this.isFinished() && this.current() !== delimiter) {
    const c = this.current();
    this.forward();
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = this.current();
    const width = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : /[0-7]/.test(e) ? 3 : 0;
    if (Object.hasOwn(SIMPLE_ESCAPES, e)) {
      out += SIMPLE_ESCAPES[e];
      this.forward();
    } else if (width > 0) {
      let digits = '';
      if (e === 'x' || e === 'u' || e === 'U') this.forward();
      const pattern = width === 3 ? /[0-7]/ : /[0-9a-fA-F]/;
      while (digits.length < width && pattern.test(this.current())) {
        digits += this.current();
        this.forward();
      }
      const code = parseInt(digits, width === 3 ? 8 : 16);
      if ((width !== 3 && digits.length < width) || code > 0x10ffff) throw new Error(`truncated \\${e} escape`);
      out += String.fromCodePoint(code);
    } else {
      out += `\\${e}`;
      this.forward();
    }
  }
  this.forward();
  return out;
}

/**
 * Makes `}}` inside an open dict literal close the dict (`{% set x = {"a": {"b": 1}} %}`), as Jinja's lexer
 * does; nunjucks always reads `}}` as the end of the tag.
 */
function balanceCurlies(tokens: Tokenizer): void {
  const next = tokens.nextToken.bind(tokens);
  let depth = 0;
  tokens.nextToken = () => {
    if (tokens.in_code && depth > 0 && tokens.current() === '}') {
      const tok = { type: lexer.TOKEN_RIGHT_CURLY, value: '}', lineno: tokens.lineno, colno: tokens.colno };
      tokens.forward();
      depth -= 1;
      return tok;
    }
    const tok = next();
    if (tok?.type === lexer.TOKEN_LEFT_CURLY) depth += 1;
    else if (tok?.type === lexer.TOKEN_RIGHT_CURLY) depth = Math.max(0, depth - 1);
    else if (!tokens.in_code) depth = 0;
    return tok;
  };
}

const TOKEN_NAMES: Record<string, string> = {
  'variable-end': "'}}'",
  'variable-start': "'{{'",
  'block-end': "'%}'",
  'block-start': "'{%'",
  'left-paren': "'('",
  'right-paren': "')'",
  'left-bracket': "'['",
  'right-bracket': "']'",
  'left-curly': "'{'",
  'right-curly': "'}'",
  symbol: 'a name',
};

/** Rewrites nunjucks' parser messages into ones a template author understands. */
function readable(message: string): string {
  return message
    .replace(/^\w+: (?=\w)/, '')
    .replace(/^unexpected token: (.*)$/, "unexpected token '$1'")
    .replace(/^expected variable end$/, "expected '}}'")
    .replace(/^expected block end in (\w+) statement$/, "expected '%}' to end the '$1' tag")
    .replace(/^unknown block tag: (.*)$/, "unknown tag '$1'")
    .replace(/end of file/g, 'end of the template')
    .replace(
      /\b(variable-end|variable-start|block-end|block-start|left-paren|right-paren|left-bracket|right-bracket|left-curly|right-curly|symbol)\b/g,
      (t) => TOKEN_NAMES[t] ?? t,
    );
}

/** Returns the 1-based position just past the end of `source`. */
function endOf(source: string): { line: number; column: number } {
  const lines = source.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1] ?? '').length + 1 };
}

/**
 * Converts a nunjucks parse or compile error into a `syntax` TemplateError with a position and readable text.
 * Parser errors without a position happened at the last token read; lexer errors where the lexer stopped.
 */
export function syntaxError(error: unknown, source: string, last?: Token, tokens?: Tokenizer): TemplateError {
  if (error instanceof TemplateError) return error.withDetails({ source });
  const { lineno, colno } = error as { lineno?: number; colno?: number };
  const at = !(error instanceof NunjucksError) && tokens ? tokens : last;
  const end = endOf(source);
  const fallback = at ? { line: at.lineno + 1, column: at.colno + 1 } : end;
  const message = readable(error instanceof Error ? error.message : String(error));
  let line = typeof lineno === 'number' ? lineno : fallback.line;
  let column = typeof colno === 'number' ? colno : fallback.column;
  // The lexer may stop one character past the end of the template; report the end instead.
  if (line > end.line || (line === end.line && column > end.column)) [line, column] = [end.line, end.column];
  return new TemplateError('syntax', message, { line, column, source, cause: error });
}

/** Parses and checks `source`; throws a TemplateError for syntax errors, refused constructs and loop limits. */
export function parseTemplate(source: string, rules: CompileRules): AstNode {
  let ast: AstNode;
  // Jinja drops one trailing newline from the source (keep_trailing_newline=False).
  const tokens = lexer.lex(source.replace(/(\r\n|\r|\n)$/, ''), {});
  tokens._parseString = scanPythonString;
  balanceCurlies(tokens);
  const p = new SandboxParser(tokens);
  try {
    ast = p.parseAsRoot();
  } catch (error) {
    throw syntaxError(error, source, p.lastToken, tokens);
  }
  checkTemplate(ast, rules, source);
  return ast;
}
