// The run-deployment parameter pipeline, with Prefect's hydration tests (tests/utilities/schema_tools/test_hydration.py)
// ported as tables and its running-deployment parameter cases, rendered by the real templates/render.ts sandbox.
import {
  checkParameterSchema,
  hydrate,
  type HydrationContext,
  isSingleExpression,
  overlayDefaults,
  ParameterError,
  renderRunParameters,
  upgradeParameterTemplates,
  validateAgainstSchema,
  validateParameterTemplates,
  ValidJinja,
  WorkspaceVariable,
} from '../../../services/actions/run-parameters';
import { renderTemplate, validateTemplate } from '../../../templates/render';

const render = (source: string, context: Record<string, unknown>) => renderTemplate(source, context);
const valueNotFound = (path: string) => new ParameterError('ValueNotFound', path);

describe('hydrate: pass-through (TestHydratePassThrough)', () => {
  it.each([
    { param: null },
    { param: 10 },
    { param: 'hello' },
    { param: [1, 2, 3] },
    { param: { key: 'value' } },
    { param: { value: 10 } },
    { param: { value: 'hello' } },
    { param: { value: [1, 2, 3] } },
    { param: { value: { key: 'value' } } },
    { value: { nested: { another_key: 'another_value' } } },
    { param: {} },
    {},
  ])('leaves %j as it is', (input) => {
    expect(hydrate(input)).toEqual(input);
  });

  it('passes through the value of an unregistered kind', () => {
    expect(hydrate({ __prefect_kind: 'never-heard-of-it', value: 'hello' })).toBe('hello');
    expect(hydrate({ __prefect_kind: 'never-heard-of-it' })).toBeNull();
  });
});

describe('hydrate: raise_on_error (TestHydrateRaiseOnError)', () => {
  it('leaves the error in place by default', () => {
    const result = hydrate({ param: { __prefect_kind: 'none' } }) as { param: ParameterError };
    expect(result.param).toBeInstanceOf(ParameterError);
    expect(result.param).toMatchObject({ kind: 'ValueNotFound', path: 'param' });
  });

  it('throws it with raiseOnError', () => {
    expect(() => hydrate({ param: { __prefect_kind: 'none' } }, { raiseOnError: true })).toThrow(
      new ParameterError('ValueNotFound', 'param'),
    );
    expect(valueNotFound('param').message).toBe("Missing 'value' key in __prefect object");
  });

  it('does not throw when nothing is wrong', () => {
    expect(hydrate({ param: { __prefect_kind: 'none', value: '5' } }, { raiseOnError: true })).toEqual({ param: '5' });
  });
});

describe("hydrate: the 'none' kind (TestHydrateWithNonePrefectKind)", () => {
  it.each<[unknown, unknown]>([
    [{ param: { __prefect_kind: 'none', value: null } }, { param: null }],
    [{ param: { __prefect_kind: 'none', value: 10 } }, { param: 10 }],
    [{ param: { __prefect_kind: 'none', value: 'hello' } }, { param: 'hello' }],
    [{ param: { __prefect_kind: 'none', value: [1, 2, 3] } }, { param: [1, 2, 3] }],
    [{ param: { __prefect_kind: 'none', value: { key: 'value' } } }, { param: { key: 'value' } }],
    [
      { param: { __prefect_kind: 'none', value: { nested: { another_key: 'another_value' } } } },
      { param: { nested: { another_key: 'another_value' } } },
    ],
    [
      {
        param: {
          __prefect_kind: 'none',
          value: { hello: 'world', goodbye: { __prefect_kind: 'none', value: 'moon' } },
        },
      },
      { param: { hello: 'world', goodbye: 'moon' } },
    ],
    [{ param: { __prefect_kind: 'none' } }, { param: valueNotFound('param') }],
  ])('hydrates %j', (input, expected) => {
    expect(hydrate(input)).toStrictEqual(expected);
  });
});

describe("hydrate: the 'json' kind (TestHydrateWithJsonPrefectKind)", () => {
  it.each<[unknown, unknown]>([
    [{ param: { __prefect_kind: 'json', value: '{"key": "value"}' } }, { param: { key: 'value' } }],
    [
      { param: { __prefect_kind: 'json', value: '{"nested": {"another_key": "another_value"}}' } },
      { param: { nested: { another_key: 'another_value' } } },
    ],
    [
      {
        param: {
          __prefect_kind: 'json',
          value: '{\n  "key": "value",\n  "nested": {\n    "another_key": "another_value"\n  }\n}',
        },
      },
      { param: { key: 'value', nested: { another_key: 'another_value' } } },
    ],
    [
      { param: { __prefect_kind: 'json', value: '{"__prefect_kind": "some_value", "key": "value"}' } },
      { param: { __prefect_kind: 'some_value', key: 'value' } },
    ],
    [{ param: { __prefect_kind: 'json', value: 12346 } }, { param: 12346 }],
    [{ param: { __prefect_kind: 'json' } }, {}],
    [{ __prefect_kind: 'json' }, {}],
    [{ items: [1, { __prefect_kind: 'json' }, 2] }, { items: [1, 2] }],
  ])('hydrates %j', (input, expected) => {
    expect(hydrate(input)).toStrictEqual(expected);
  });

  it('reports text that is not JSON as InvalidJSON with the parser detail', () => {
    const { param } = hydrate({ param: { __prefect_kind: 'json', value: '{"key": unquotedvalue}' } }) as {
      param: ParameterError;
    };
    expect(param).toMatchObject({ kind: 'InvalidJSON', path: 'param' });
    expect(param.message).toMatch(/^Invalid JSON: .+/);
  });
});

describe("hydrate: the 'jinja' kind (TestHydrateWithJinjaPrefectKind)", () => {
  const validating: HydrationContext = { validate: validateTemplate };

  it('leaves a valid template as a ValidJinja placeholder when not rendering', () => {
    expect(hydrate({ param: { __prefect_kind: 'jinja', template: 'Hello {{ name }}' } }, validating)).toStrictEqual({
      param: new ValidJinja('Hello {{ name }}'),
    });
  });

  it.each([
    ['a syntax error', 'Hello {{ name', /^Invalid jinja: /],
    [
      'loops nested too deep',
      '{% for i in range(1) %}{% for j in range(1) %}{% for k in range(1) %}x{% endfor %}{% endfor %}{% endfor %}',
      /^Invalid jinja: Contains nested for loops at a depth of 3\. Templates can nest for loops no more than 2 loops deep\.$/,
    ],
  ])('reports %s as InvalidJinja', (_case, template, message) => {
    const { param } = hydrate({ param: { __prefect_kind: 'jinja', template } }, validating) as {
      param: ParameterError;
    };
    expect(param).toMatchObject({ kind: 'InvalidJinja', path: 'param' });
    expect(param.message).toMatch(message);
  });

  it('reports a missing template', () => {
    const { param } = hydrate({ param: { __prefect_kind: 'jinja' } }) as { param: ParameterError };
    expect(param).toMatchObject({ kind: 'TemplateNotFound', message: "Missing 'template' key in __prefect object" });
  });

  it('renders only when given a renderer (test_render_jinja)', () => {
    const values = { param: { __prefect_kind: 'jinja', template: 'Hello {{ name }}' } };
    expect(hydrate(values, { context: { name: 'world' } })).toStrictEqual({
      param: new ValidJinja('Hello {{ name }}'),
    });
    expect(hydrate(values, { render, context: { name: 'world' } })).toEqual({ param: 'Hello world' });
    expect(hydrate(values, { render, context: {} })).toEqual({ param: 'Hello ' });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['{{ value }}', { value: 42 }, '42'],
    ['{{ value }}', { value: 3.14 }, '3.14'],
    ['{{ value }}', { value: 'hello' }, 'hello'],
    ['Hello {{ name }}', { name: 'world' }, 'Hello world'],
    ['{{ value }}', { value: -5 }, '-5'],
    ['{{ value }}', { value: 0 }, '0'],
  ])('always renders %s to a string (%j → %j)', (template, context, expected) => {
    expect(hydrate({ param: { __prefect_kind: 'jinja', template } }, { render, context })).toEqual({ param: expected });
  });

  it('turns a render failure into InvalidJinja, or throws it with raiseOnError', () => {
    const values = { param: { __prefect_kind: 'jinja', template: '{{ foo.bar.baz() }}' } };
    expect((hydrate(values, { render }) as { param: unknown }).param).toMatchObject({ kind: 'InvalidJinja' });
    expect(() => hydrate(values, { render, raiseOnError: true })).toThrow(ParameterError);
  });
});

describe("hydrate: the 'workspace_variable' kind (TestHydrateWithWorkspaceVariablePrefectKind)", () => {
  const variable = { param: { __prefect_kind: 'workspace_variable', variable_name: 'my-var' } };

  it.each<[string, unknown, HydrationContext, unknown]>([
    ['missing variable_name', { param: { __prefect_kind: 'workspace_variable' } }, {}, {}],
    ['missing variable_name at the top', { __prefect_kind: 'workspace_variable' }, {}, {}],
    ['not rendered', variable, { renderVariables: false }, { param: new WorkspaceVariable('my-var') }],
    [
      'not rendered though known',
      variable,
      { renderVariables: false, variables: { 'my-var': 'my-value' } },
      { param: new WorkspaceVariable('my-var') },
    ],
    [
      'rendered and known',
      variable,
      { renderVariables: true, variables: { 'my-var': 'my-value' } },
      { param: 'my-value' },
    ],
  ])('%s', (_case, input, ctx, expected) => {
    expect(hydrate(input, ctx)).toStrictEqual(expected);
  });

  it('reports an unknown variable when rendering', () => {
    const { param } = hydrate(variable, { renderVariables: true }) as { param: ParameterError };
    expect(param).toMatchObject({
      kind: 'WorkspaceVariableNotFound',
      message: "Variable 'my-var' not found in workspace.",
    });
  });
});

describe('hydrate: nesting (TestNestedHydration)', () => {
  it('resolves a variable, renders it as a template, then parses the JSON', () => {
    const input = {
      param: {
        __prefect_kind: 'json',
        value: {
          __prefect_kind: 'jinja',
          template: { __prefect_kind: 'workspace_variable', variable_name: '2_plus_2' },
        },
      },
    };
    const ctx = { render, renderVariables: true, variables: { '2_plus_2': '{{ (2 + 2) | tojson }}' } };
    expect(hydrate(input, ctx)).toEqual({ param: 4 });
  });

  const extract = {
    __prefect_kind: 'json',
    value: { __prefect_kind: 'jinja', template: '{{ event.payload.body | tojson }}' },
  };
  const event = { payload: { body: { json_key: 'json_value' } } };

  it('extracts an object from the event', () => {
    expect(hydrate({ my_object: extract }, { render, context: { event } })).toEqual({
      my_object: { json_key: 'json_value' },
    });
  });

  it.each<[unknown]>([[42], [3.14], [true], [false], [null], ['hello'], [-5], [[1, 2, 3]], [{ a: 1 }]])(
    'keeps the type of %j through json + jinja + tojson',
    (value) => {
      const input = {
        param: { __prefect_kind: 'json', value: { __prefect_kind: 'jinja', template: '{{ value | tojson }}' } },
      };
      expect(hydrate(input, { render, context: { value } })).toEqual({ param: value });
    },
  );

  it('bubbles a placeholder up through the json kind when not rendering', () => {
    expect(hydrate({ my_object: extract }, { context: { event } })).toStrictEqual({
      my_object: new ValidJinja('{{ event.payload.body | tojson }}'),
    });
  });
});

describe('upgradeParameterTemplates', () => {
  const json = (expression: string) => ({
    __prefect_kind: 'json',
    value: { __prefect_kind: 'jinja', template: `{{ (${expression}) | tojson }}` },
  });
  const jinja = (template: string) => ({ __prefect_kind: 'jinja', template });

  it.each<[string, unknown]>([
    ['{{ event }}', json('event')],
    ['  {{ event.payload.count }}\n', json('event.payload.count')],
    ['{{- x -}}', json('x')],
    ['{{ a ~ b }}', json('a ~ b')],
    ['Hello {{ name }}', jinja('Hello {{ name }}')],
    ['{{ a }}{{ b }}', jinja('{{ a }}{{ b }}')],
    ['{% if x %}y{% endif %}', jinja('{% if x %}y{% endif %}')],
    ['{{ broken', jinja('{{ broken')],
    ['no template here', 'no template here'],
  ])('upgrades %j', (value, expected) => {
    expect(upgradeParameterTemplates({ p: value })).toEqual({ p: expected });
  });

  it('enters nested objects and the strings and objects of arrays, but not nested arrays', () => {
    expect(
      upgradeParameterTemplates({
        meta: { automation: '{{ automation.name }}', n: 1 },
        list: ['{{ x }}', { y: 'a {{ y }}' }, ['{{ z }}'], 3],
      }),
    ).toEqual({
      meta: { automation: json('automation.name'), n: 1 },
      list: [json('x'), { y: jinja('a {{ y }}') }, ['{{ z }}'], 3],
    });
  });

  it('does not enter objects that already have __prefect_kind, except directly in arrays (Prefect quirk)', () => {
    const kind = { __prefect_kind: 'jinja', template: '{{ x }}' };
    expect(upgradeParameterTemplates({ p: kind })).toEqual({ p: kind });
    expect(upgradeParameterTemplates({ list: [kind] })).toEqual({
      list: [{ __prefect_kind: 'jinja', template: json('x') }],
    });
  });

  it('leaves its input untouched', () => {
    const input = { p: '{{ x }}', q: { r: '{{ y }}' } };
    upgradeParameterTemplates(input);
    expect(input).toEqual({ p: '{{ x }}', q: { r: '{{ y }}' } });
  });

  it('tells single expressions from other templates', () => {
    expect(isSingleExpression(' {{ x }} ')).toBe(true);
    expect(isSingleExpression('{{ x }} y')).toBe(false);
    expect(isSingleExpression('{{ x }}{{ y }}')).toBe(false);
  });
});

describe('renderRunParameters', () => {
  const event = {
    id: 'e-1',
    event: 'external.resource.pinged',
    resource: { 'prefect.resource.id': 'r' },
    payload: { n: 3 },
  };
  const context = { event, automation: { name: 'If my lilies get nibbled' }, flow_run: { parameters: { value: 42 } } };

  it('renders the parameters of test_running_a_deployment', () => {
    const parameters = {
      camera: 'back-yard',
      focal_ratio: 1 / 6,
      flash: false,
      meta: { automation: '{{ automation.name }}' },
    };
    expect(renderRunParameters(parameters, context, render)).toEqual({
      camera: 'back-yard',
      focal_ratio: 1 / 6,
      flash: false,
      meta: { automation: 'If my lilies get nibbled' },
    });
  });

  it('hydrates explicit kinds (test_running_a_deployment_supports_schemas_v2, without variables)', () => {
    const parameters = {
      camera: 'back-yard',
      focal_ratio: { __prefect_kind: 'whatevs', value: 1 / 6 },
      flash: { __prefect_kind: 'json', value: 'false' },
      meta: { __prefect_kind: 'json', value: '{"one_thing": "hello", "another_thing": 5}' },
    };
    expect(renderRunParameters(parameters, context, render)).toEqual({
      camera: 'back-yard',
      focal_ratio: 1 / 6,
      flash: false,
      meta: { one_thing: 'hello', another_thing: 5 },
    });
  });

  it('keeps the JSON type of a single expression and renders text to a string', () => {
    expect(
      renderRunParameters(
        { param_1: '{{ event }}', value: '{{ flow_run.parameters.value }}', text: 'n={{ event.payload.n }}' },
        context,
        render,
      ),
    ).toEqual({ param_1: event, value: 42, text: 'n=3' });
  });

  it('fails on an undefined single expression but renders it empty inside text', () => {
    expect(() => renderRunParameters({ p: '{{ event.payload.missing }}' }, context, render)).toThrow(ParameterError);
    expect(renderRunParameters({ p: 'x{{ event.payload.missing }}' }, context, render)).toEqual({ p: 'x' });
  });

  it('fails on any workspace variable: tripwire has none', () => {
    const parameters = { somefin: { __prefect_kind: 'workspace_variable', variable_name: 'my_variable' } };
    expect(() => renderRunParameters(parameters, context, render)).toThrow(
      expect.objectContaining({ kind: 'WorkspaceVariableNotFound', path: 'somefin' }),
    );
  });

  it('reports a top-level hydration error with an empty path (regression for prefect#12585)', () => {
    expect(() => renderRunParameters({ __prefect_kind: 'json', value: '{notvalidjson}' }, context, render)).toThrow(
      expect.objectContaining({ kind: 'InvalidJSON', path: '' }),
    );
  });

  it('treats null as no parameters and never changes its input', () => {
    expect(renderRunParameters(null, context, render)).toEqual({});
    const parameters = { list: ['{{ event.id }}'] };
    renderRunParameters(parameters, context, render);
    expect(parameters).toEqual({ list: ['{{ event.id }}'] });
  });
});

describe('validateParameterTemplates', () => {
  it("names a bad template's parameter (test_validates_templates_in_parameters)", () => {
    const issues = validateParameterTemplates({ bad_template: 'This is an {{ invalid } template.' });
    expect(issues).toEqual([{ path: 'bad_template', message: expect.stringMatching(/^Invalid jinja: /) }]);
  });

  it('finds problems at any depth, including inside lists', () => {
    expect(
      validateParameterTemplates({
        a: { b: '{{ x' },
        items: ['ok', '{{ y'],
        n: { __prefect_kind: 'json', value: '{' },
      }),
    ).toEqual([
      { path: 'a.b', message: expect.stringMatching(/^Invalid jinja/) },
      { path: 'items[1]', message: expect.stringMatching(/^Invalid jinja/) },
      { path: 'n', message: expect.stringMatching(/^Invalid JSON: /) },
    ]);
  });

  it('accepts workspace variables without looking them up (regression for nebula#7425)', () => {
    expect(
      validateParameterTemplates({ my_string: { __prefect_kind: 'workspace_variable', variable_name: 'my_variable' } }),
    ).toEqual([]);
  });

  it('reports a top-level error with an empty path', () => {
    expect(validateParameterTemplates({ __prefect_kind: 'json', value: '{notajsonstring}' })).toEqual([
      { path: '', message: expect.stringMatching(/^Invalid JSON: /) },
    ]);
  });

  it('accepts good templates, null and empty parameters', () => {
    expect(validateParameterTemplates({ p: '{{ event }}', q: 'at {{ event.occurred }}' })).toEqual([]);
    expect(validateParameterTemplates(null)).toEqual([]);
    expect(validateParameterTemplates({})).toEqual([]);
  });
});

describe('overlayDefaults', () => {
  it('lays rendered parameters over the defaults, top-level keys only', () => {
    expect(overlayDefaults({ a: 1, b: { x: 1, y: 1 } }, { b: { y: 2 }, c: 3 })).toEqual({ a: 1, b: { y: 2 }, c: 3 });
  });

  it('hydrates kinds among the defaults', () => {
    expect(overlayDefaults({ a: { __prefect_kind: 'json', value: '[1, 2]' } }, {})).toEqual({ a: [1, 2] });
  });

  it('refuses templates and variables among the defaults', () => {
    expect(() => overlayDefaults({ a: { __prefect_kind: 'jinja', template: '{{ x }}' } }, {})).toThrow(
      expect.objectContaining({ kind: 'InvalidJinja', path: 'a' }),
    );
    expect(() => overlayDefaults({ v: { __prefect_kind: 'workspace_variable', variable_name: 'v' } }, {})).toThrow(
      expect.objectContaining({ kind: 'WorkspaceVariableNotFound' }),
    );
  });
});

describe('validateAgainstSchema', () => {
  const schema = {
    type: 'object',
    properties: { a: { type: 'integer' }, items: { type: 'array', items: { type: 'string' } } },
    required: ['a'],
  };

  it('returns nothing for conforming parameters', () => {
    expect(validateAgainstSchema({ a: 1, items: ['x'] }, schema)).toEqual([]);
  });

  it("names the field in Prefect's words", () => {
    expect(validateAgainstSchema({ a: 'x' }, schema)).toEqual([
      "Validation failed for field 'a'. Failure reason: must be integer",
    ]);
    expect(validateAgainstSchema({ a: 1, items: ['x', 2] }, schema)).toEqual([
      "Validation failed for field 'items[1]'. Failure reason: must be string",
    ]);
    expect(validateAgainstSchema({}, schema)).toEqual([
      "Validation failed. Failure reason: must have required property 'a'",
    ]);
  });

  it('reads draft-07 schemas with definitions and 2020-12 schemas with $defs', () => {
    const draft7 = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      definitions: { N: { type: 'number' } },
      properties: { n: { $ref: '#/definitions/N' } },
    };
    const draft2020 = { $defs: { N: { type: 'number' } }, properties: { n: { $ref: '#/$defs/N' } } };
    expect(validateAgainstSchema({ n: 'x' }, draft7)).toHaveLength(1);
    expect(validateAgainstSchema({ n: 'x' }, draft2020)).toHaveLength(1);
    expect(validateAgainstSchema({ n: 1 }, draft2020)).toEqual([]);
  });

  it('reports a schema that does not compile instead of throwing', () => {
    expect(validateAgainstSchema({}, { type: 'nope' })).toEqual([expect.stringMatching(/^Invalid schema: /)]);
  });
});

describe('checkParameterSchema', () => {
  it('accepts a schema that compiles, with unknown formats ignored', () => {
    expect(
      checkParameterSchema({ type: 'object', properties: { at: { type: 'string', format: 'date-time' } } }),
    ).toBeUndefined();
  });

  it.each<[string, unknown]>([
    ['a bad type', { type: 'nope' }],
    ['required that is not a list', { required: 'a' }],
    ['a reference to nowhere', { properties: { a: { $ref: '#/$defs/missing' } } }],
    ['a remote reference, never fetched', { properties: { a: { $ref: 'https://example.com/schema.json' } } }],
    ['something other than an object', ['not', 'a', 'schema']],
  ])('names the problem with %s', (_case, schema) => {
    expect(checkParameterSchema(schema)).toMatch(/^Invalid schema: .+/);
  });
});
