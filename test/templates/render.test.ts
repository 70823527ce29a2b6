import * as environment from '../../templates/environment';
import { caseInsensitiveHeaders } from '../../templates/headers';
import { renderTemplate, TEMPLATE_CACHE_SIZE, TemplateError, validateTemplate } from '../../templates/render';

/** Returns the TemplateError `fn` throws (failing the test when it throws nothing or something else). */
function templateError(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateError);
    return error as TemplateError;
  }
  throw new Error('expected a TemplateError, but nothing was thrown');
}

describe('Prefect seed webhook templates', () => {
  it('renders a static template as itself', () => {
    const source =
      '{"event": "model.refreshed", "resource": {"prefect.resource.id": "product.models.recommendations"}}';
    expect(JSON.parse(renderTemplate(source, { method: 'POST', headers: {}, body: {} }))).toEqual({
      event: 'model.refreshed',
      resource: { 'prefect.resource.id': 'product.models.recommendations' },
    });
  });

  it('renders the dynamic model-refreshed template from the request body', () => {
    const source = `{
      "event": "model.refreshed",
      "resource": {
        "prefect.resource.id": "product.models.{{ body.model }}",
        "prefect.resource.name": "{{ body.friendly_name }}",
        "producing-team": "Data Science"
      }
    }`;
    const body = { model: 'recommendations', friendly_name: 'Recommendations [Products]' };
    expect(JSON.parse(renderTemplate(source, { method: 'POST', headers: {}, body }))).toEqual({
      event: 'model.refreshed',
      resource: {
        'prefect.resource.id': 'product.models.recommendations',
        'prefect.resource.name': 'Recommendations [Products]',
        'producing-team': 'Data Science',
      },
    });
  });

  it('fills a missing body field with the default filter', () => {
    const source =
      '{"event": "model.{{ body.model | default(\'unknown\') }}", "resource": {"prefect.resource.id": "m"}}';
    expect(JSON.parse(renderTemplate(source, { body: {} })).event).toBe('model.unknown');
    expect(JSON.parse(renderTemplate(source, { body: { model: 'x' } })).event).toBe('model.x');
  });

  it('passes a whole JSON body through tojson', () => {
    const body = { event: 'e', resource: { 'prefect.resource.id': 'r' }, payload: { n: 1, s: '<&>' } };
    expect(JSON.parse(renderTemplate('{{ body|tojson }}', { body }))).toEqual(body);
  });

  it('reads case-insensitive headers and the method', () => {
    const headers = caseInsensitiveHeaders({ 'X-GitHub-Event': 'push' });
    const source =
      '{"event": "github.{{ headers["x-github-event"] }}.{{ method|lower }}", "resource": {"prefect.resource.id": "gh"}}';
    expect(JSON.parse(renderTemplate(source, { method: 'POST', headers, body: {} })).event).toBe('github.push.post');
  });

  it('has no global default() function, as in Jinja: calling it is an error', () => {
    expect(templateError(() => renderTemplate('{{ default(body.model) }}', { body: {} })).kind).toBe('render');
  });
});

describe('renderTemplate', () => {
  it('renders undefined members as empty strings, however deep the chain', () => {
    expect(
      renderTemplate('[{{ body.missing.deeper }}|{{ nothing.at.all }}|{{ body.list[5].x }}]', { body: { list: [] } }),
    ).toBe('[||]');
  });

  it("prints values with Python's str(): None, True, lists and dicts in repr form", () => {
    const body = { none: null, yes: true, list: [1, 'a', null], dict: { k: false }, float: 0.5 };
    expect(
      renderTemplate('{{ body.none }} {{ body.yes }} {{ body.list }} {{ body.dict }} {{ body.float }}', { body }),
    ).toBe("None True [1, 'a', None] {'k': False} 0.5");
  });

  it('returns text without template syntax unchanged, as Prefect does', () => {
    expect(renderTemplate('plain {# not a comment without tags #}', {})).toBe('plain {# not a comment without tags #}');
  });

  it('uses Python truthiness: empty lists and dicts are false', () => {
    expect(
      renderTemplate('{% if body.a %}A{% endif %}{% if body.b %}B{% endif %}{% if body.c %}C{% endif %}', {
        body: { a: [], b: {}, c: [0] },
      }),
    ).toBe('C');
  });

  it('wraps a failure while rendering in a render TemplateError carrying the source and position', () => {
    const source = 'line one\n{{ body.items.nope() }}';
    const error = templateError(() => renderTemplate(source, { body: { items: [] } }));
    expect(error).toMatchObject({ kind: 'render', line: 2, source });
    expect(error.message).toContain("'list' object has no attribute 'nope'");
  });

  it('points a failing filter at the filter name', () => {
    const error = templateError(() => renderTemplate('a\n  {{ body.x }} {{ "x"|int(1, 2, 3) }}', { body: {} }));
    expect(error).toMatchObject({
      kind: 'render',
      line: 2,
      column: 23,
      message: 'int() takes at most 2 arguments (3 given)',
    });
  });

  it('injects "now" into the time filters', () => {
    const now = new Date('2024-03-10T12:00:00Z');
    expect(renderTemplate('{{ t|humanize_naturaltime }}', { t: '2024-03-10T11:55:00Z' }, { now })).toBe(
      '5 minutes ago',
    );
  });

  it('compiles each source once and reuses it from the cache', () => {
    const compile = jest.spyOn(environment, 'compileFor');
    try {
      const source = `{{ body.n }} cached ${Math.random()}`;
      expect(renderTemplate(source, { body: { n: 1 } })).toMatch(/^1 cached/);
      expect(renderTemplate(source, { body: { n: 2 } })).toMatch(/^2 cached/);
      validateTemplate(source);
      expect(compile).toHaveBeenCalledTimes(1);
    } finally {
      compile.mockRestore();
    }
  });

  it(`keeps at most ${TEMPLATE_CACHE_SIZE} compiled templates, dropping the least recently used`, () => {
    const compile = jest.spyOn(environment, 'compileFor');
    try {
      const prefix = `{{ i }} lru ${Math.random()} `;
      for (let i = 0; i <= TEMPLATE_CACHE_SIZE; i++) renderTemplate(prefix + i, { i });
      expect(compile).toHaveBeenCalledTimes(TEMPLATE_CACHE_SIZE + 1);
      renderTemplate(prefix + TEMPLATE_CACHE_SIZE, { i: 0 }); // still cached
      expect(compile).toHaveBeenCalledTimes(TEMPLATE_CACHE_SIZE + 1);
      renderTemplate(prefix + 0, { i: 0 }); // evicted, compiled again
      expect(compile).toHaveBeenCalledTimes(TEMPLATE_CACHE_SIZE + 2);
    } finally {
      compile.mockRestore();
    }
  });

  it('renders with a custom environment (ui_url needs a base URL)', () => {
    const env = environment.createTemplateEnvironment({ uiBaseUrl: 'https://ui.example/' });
    const resource = { 'prefect.resource.id': 'prefect.flow-run.8f1d1a4e-2c7e-4b7e-9a57-7f0a9b1c2d3e' };
    const source = '{{ r|ui_url }}';
    expect(renderTemplate(source, { r: resource }, { environment: env })).toBe(
      'https://ui.example/runs/flow-run/8f1d1a4e-2c7e-4b7e-9a57-7f0a9b1c2d3e',
    );
    expect(renderTemplate(source, { r: resource })).toBe('');
  });
});

describe('validateTemplate', () => {
  it('accepts valid templates', () => {
    expect(() => validateTemplate('{% for x in body %}{{ x|upper }}{% endfor %}')).not.toThrow();
    expect(() => validateTemplate('no tags at all')).not.toThrow();
  });

  it.each([
    ['{"a": 1,\n "b": {{ body.x }\n}', 2, 17, "expected '}}'"],
    ['line 1\nline 2\n{% if x %}open', 3, 11, 'expected elif, else, or endif, got end of the template'],
    ['{{ }}', 1, 4, "unexpected token '}}'"],
    ['{{ x(1,, 2) }}', 1, 8, "unexpected token ','"],
    ['ok\n  {% endif %}', 2, 6, "unknown tag 'endif'"],
    ['{{ x | }}', 1, 8, "expected a name, got '}}'"],
    ['{# never closed', 1, 16, 'expected end of comment, got end of the template'],
    ['{{ "\\xZ" }}', 1, 7, 'truncated \\x escape'],
  ])('reports syntax errors with 1-based line and column: %j', (source, line, column, message) => {
    const error = templateError(() => validateTemplate(source));
    expect(error).toMatchObject({ kind: 'syntax', line, column, message, source });
  });

  it('names unknown filters and tests at compile time, like Jinja', () => {
    expect(templateError(() => validateTemplate('\n{{ x|nosuch }}'))).toMatchObject({
      kind: 'syntax',
      message: "no filter named 'nosuch'",
      line: 2,
    });
    expect(templateError(() => validateTemplate('{{ x is nosuch }}')).message).toBe("no test named 'nosuch'");
  });

  it.each(['{% include "other.json" %}', '{% extends "base" %}', '{% import "m" as m %}', '{% from "m" import x %}'])(
    'refuses %s: templates cannot read other templates',
    (source) => {
      const error = templateError(() => validateTemplate(source));
      expect(error.kind).toBe('security');
      expect(error.message).toContain('cannot load other templates');
    },
  );

  it('refuses forbidden names at compile time', () => {
    expect(templateError(() => validateTemplate('{{ x.__class__ }}')).kind).toBe('security');
    expect(templateError(() => validateTemplate('{{ constructor }}')).kind).toBe('security');
  });
});
