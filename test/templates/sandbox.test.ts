import * as nunjucks from 'nunjucks';
import { createTemplateEnvironment } from '../../templates/environment';
import { caseInsensitiveHeaders } from '../../templates/headers';
import { renderTemplate, TemplateError } from '../../templates/render';

// Every escape tries to leave a mark here (or on process.env); after each test the marks must be absent.
const MARK = '__tripwireSandboxEscape';
const globals = globalThis as Record<string, unknown>;

function attempt(source: string, context: Record<string, unknown> = {}): TemplateError | string {
  try {
    return renderTemplate(source, context);
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    return error;
  }
}

function kindOf(result: TemplateError | string): string {
  return result instanceof TemplateError ? result.kind : `rendered ${JSON.stringify(result)}`;
}

afterEach(() => {
  expect(globals[MARK]).toBeUndefined();
  expect(process.env[MARK]).toBeUndefined();
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect((Array.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
});

const code = `globalThis.${MARK} = 1; process.env.${MARK} = '1'; return process`;

describe('sandbox: reaching Function through constructors', () => {
  it.each([
    `{{ range.constructor("${code}")() }}`,
    `{{ "".constructor.constructor("${code}")() }}`,
    `{{ cycler.constructor("${code}")() }}`,
    `{{ joiner.constructor("${code}")() }}`,
    `{{ namespace.constructor("${code}")() }}`,
    `{{ cycler("a").constructor }}`,
    `{{ joiner().constructor("${code}")() }}`,
    `{{ range["constructor"]("${code}")() }}`,
    `{{ [].constructor }}`,
    `{{ body.constructor }}`,
    `{{ headers.constructor }}`,
    `{% macro m() %}{% endmacro %}{{ m.constructor("${code}")() }}`,
  ])('refuses %s at compile time', (source) => {
    expect(kindOf(attempt(source, { body: {}, headers: caseInsensitiveHeaders({ a: 'b' }) }))).toBe('security');
  });

  it.each([
    `{{ range["con" ~ "structor"]("${code}")() }}`,
    `{% set k = "constructor" %}{{ range[k]("${code}")() }}`,
    `{{ ""[body.k][body.k]("${code}")() }}`,
    `{% set p = "__pro" ~ "to__" %}{{ body[p] }}`,
    `{{ body[body.proto].polluted }}`,
    `{{ "{0.constructor}".format(body) }}`,
    `{{ body|map(attribute=body.k)|list }}`,
    `{{ [body]|sort(attribute="constructor") }}`,
    `{{ namespace()|attr("constructor") }}`,
  ])('refuses names computed at run time: %s', (source) => {
    expect(kindOf(attempt(source, { body: { k: 'constructor', proto: '__proto__' } }))).toBe('security');
  });

  it.each([
    '{{ range.call(none, 3) }}',
    '{{ range.apply }}',
    '{{ range.bind(none) }}',
    '{{ cycler.caller }}',
    '{% macro m() %}{% endmacro %}{{ m.call }}',
    '{% set f = joiner %}{{ f.arguments }}',
  ])('gives functions no attributes: %s', (source) => {
    expect(kindOf(attempt(source))).toBe('security');
  });

  it.each([
    'process',
    'require',
    'global',
    'globalThis',
    'this',
    'module',
    'exports',
    'Function',
    'eval',
    'toString',
    'valueOf',
  ])('does not expose %s as a variable', (name) => {
    expect(renderTemplate(`[{{ ${name} }}]`, {})).toBe('[]');
    expect(kindOf(attempt(`{{ ${name}("${code}") }}`))).not.toBe('rendered');
  });

  it('does not expose JS functions passed in the context: they are data and cannot be called', () => {
    const called = jest.fn();
    expect(kindOf(attempt('{{ fn() }}', { fn: called }))).toBe('security');
    expect(kindOf(attempt('{{ body.fn() }}', { body: { fn: called } }))).toBe('render');
    expect(renderTemplate('[{{ body.fn }}]', { body: { fn: called } })).toBe('[]');
    expect(called).not.toHaveBeenCalled();
  });

  it('refuses unknown filters, so no prototype member can be used as one', () => {
    expect(kindOf(attempt('{{ "x"|constructor }}'))).toBe('security');
    expect(kindOf(attempt('{{ "x"|__defineGetter__(range) }}'))).toBe('security');
    expect(kindOf(attempt('{{ "x"|hasOwnProperty }}'))).toBe('syntax');
    expect(kindOf(attempt('{{ "x" is constructor }}'))).toBe('security');
  });
});

describe('sandbox: the code generator cannot be injected into', () => {
  it('quotes callee names (stock nunjucks 3.2.4 runs this payload)', () => {
    const payload = `{{ x["\\\\\\", globalThis.${MARK}=42))); //"](1) }}`;
    expect(kindOf(attempt(payload, { x: {} }))).toBe('render');
  });

  it('refuses names that are not identifiers and macro argument keys that are strings', () => {
    expect(kindOf(attempt(`{{ a"b }}`))).toBe('syntax');
    expect(kindOf(attempt(`{% macro m("a\\" + (globalThis.${MARK} = 1) + \\"" = 1) %}{% endmacro %}`))).toBe('syntax');
    expect(kindOf(attempt(`{{ f("x\\"); globalThis.${MARK}=1; (\\"" = 1) }}`, {}))).toBe('syntax');
  });

  it('refuses regular-expression literals', () => {
    expect(kindOf(attempt('{{ "aaaa"|replace(r/(a+)+$/, "") }}'))).toBe('syntax');
  });
});

describe('sandbox: prototype pollution', () => {
  it.each([
    '{% set x = {"__proto__": {"polluted": 1}} %}{{ x.polluted }}',
    '{% set x = {"a": {"__proto__": {"polluted": 1} }} %}',
    '{% set __proto__ = {"polluted": 1} %}',
    '{{ dict(__proto__={"polluted": 1}) }}',
    '{{ namespace(__proto__={"polluted": 1}) }}',
    '{% set ns = namespace() %}{% set ns.__proto__ = {"polluted": 1} %}',
    '{{ body.__proto__.polluted }}',
    '{{ body.__defineGetter__("polluted", range) }}',
    '{{ body["__lookupGetter__"] }}',
  ])('refuses %s', (source) => {
    expect(kindOf(attempt(source, { body: {} }))).toBe('security');
  });

  it('refuses namespace(**dict) when the dict carries a forbidden key', () => {
    const body = JSON.parse('{"__proto__": {"polluted": 1}}') as Record<string, unknown>;
    expect(kindOf(attempt('{{ namespace(body).polluted }}', { body }))).toBe('security');
  });

  it('only namespaces accept attribute assignment', () => {
    expect(kindOf(attempt('{% set body.x = 1 %}', { body: {} }))).toBe('security');
    expect(renderTemplate('{% set ns = namespace(a=1) %}{% set ns.a = ns.a + 1 %}{{ ns.a }}', {})).toBe('2');
  });
});

describe('sandbox: context data is immutable', () => {
  function snapshotAfter(source: string): { result: string; before: unknown; after: unknown } {
    const body = { items: [3, 1, 2], tags: ['b', 'a'], meta: { k: 'v' } };
    const before = structuredClone(body);
    const result = kindOf(attempt(source, { body }));
    return { result, before, after: body };
  }

  it.each([
    '{{ body.items.append(4) }}',
    '{{ body.items.push(4) }}',
    '{{ body.items.pop() }}',
    '{{ body.items.sort() }}',
    '{{ body.items.reverse() }}',
    '{{ body.items.extend([1]) }}',
    '{{ body.items.insert(0, 1) }}',
    '{{ body.items.remove(1) }}',
    '{{ body.items.clear() }}',
    '{{ body.items.splice(0, 1) }}',
    '{{ body.meta.update({"k": "x"}) }}',
    '{{ body.meta.pop("k") }}',
    '{{ body.meta.setdefault("n", 1) }}',
    '{{ body.meta.clear() }}',
  ])('refuses %s and leaves the data as it was', (source) => {
    const { result, before, after } = snapshotAfter(source);
    expect(result).toBe('security');
    expect(after).toEqual(before);
  });

  it('sorts, reverses and slices copies', () => {
    const { result, before, after } = snapshotAfter(
      '{{ body.items|sort }} {{ body.items|reverse|list }} {{ body.tags|sort(reverse=true) }} {{ body.items[::-1] }}',
    );
    expect(result).toBe(`rendered "[1, 2, 3] [2, 1, 3] ['b', 'a'] [2, 1, 3]"`);
    expect(after).toEqual(before);
  });

  it('renders headers as read-only data', () => {
    const headers = caseInsensitiveHeaders({ 'X-A': '1' });
    expect(kindOf(attempt('{% set headers.x = 1 %}', { headers }))).toBe('security');
    expect(headers).toEqual({ 'x-a': '1' });
  });
});

describe('sandbox: environment', () => {
  it('has no loaders, so getTemplate and render refuse', () => {
    const env = createTemplateEnvironment();
    expect(() => env.getTemplate('/etc/passwd')).toThrow(TemplateError);
    expect(() => env.render('/etc/passwd')).toThrow(TemplateError);
  });

  it("refuses nunjucks' own compile path, which would bypass the sandbox", () => {
    const env = createTemplateEnvironment();
    expect(() => new nunjucks.Template('{{ 1 }}', env, 'x', true)).toThrow(/templates\/render\.ts/);
    expect(() => nunjucks.compile(`{{ range.constructor("${code}")() }}`, env).render({})).toThrow(
      /templates\/render\.ts/,
    );
  });

  it('renders renderString() in the sandbox too', () => {
    const env = createTemplateEnvironment();
    expect(env.renderString('{{ x.y }}', { x: { y: 'ok' } })).toBe('ok');
    expect(() => env.renderString(`{{ range.constructor("${code}")() }}`, {})).toThrow(TemplateError);
  });

  it('exposes no prototype members as globals or filters', () => {
    const env = createTemplateEnvironment();
    expect(() => env.getFilter('constructor')).toThrow(TemplateError);
    expect(() => env.getFilter('toString')).toThrow(TemplateError);
  });
});
