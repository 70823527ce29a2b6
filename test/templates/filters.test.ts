import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderTemplate, TemplateError } from '../../templates/render';

interface JinjaCase {
  template: string;
  context: Record<string, unknown>;
  output?: string;
  error?: string;
  jinja?: string;
}

const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'jinja-vectors.json'), 'utf8')) as {
  jinja2: string;
  cases: JinjaCase[];
};

// Deliberate differences: Jinja renders unsafe attributes as an undefined that prints as ''; tripwire refuses
// them outright with a security error.
const REFUSED_ON_PURPOSE = new Set(["{{ 'x'.__class__ }}", "{{ ''.__class__.__mro__ }}"]);

describe(`Jinja ${fixture.jinja2} vectors (generate-jinja-vectors.py)`, () => {
  const cases = fixture.cases.filter((c) => !REFUSED_ON_PURPOSE.has(c.template));

  it('cover the filters, tests, operators and methods this module implements', () => {
    expect(cases.length).toBeGreaterThan(200);
    expect(fixture.cases.length - cases.length).toBe(REFUSED_ON_PURPOSE.size);
  });

  it.each(cases.filter((c) => c.error === undefined).map((c) => [c.template, c.context, c.output] as const))(
    'renders %s with %j',
    (template, context, output) => {
      expect(renderTemplate(template, context)).toBe(output);
    },
  );

  it.each(cases.filter((c) => c.error !== undefined).map((c) => [c.template, c.context, c.error] as const))(
    'fails on %s with %j (Jinja: %s)',
    (template, context) => {
      expect(() => renderTemplate(template, context)).toThrow(TemplateError);
    },
  );

  it.each([...REFUSED_ON_PURPOSE])('refuses %s with a security error where Jinja prints nothing', (template) => {
    let thrown: unknown;
    try {
      renderTemplate(template, {});
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TemplateError);
    expect((thrown as TemplateError).kind).toBe('security');
  });
});

describe('Prefect filters', () => {
  const id = '8f1d1a4e-2c7e-4b7e-9a57-7f0a9b1c2d3e';

  it('flow_run_id extracts the UUID after flow-run/ and returns None otherwise', () => {
    expect(renderTemplate('{{ t|flow_run_id }}', { t: `see https://ui/runs/flow-run/${id}?tab=logs` })).toBe(id);
    expect(renderTemplate('{{ t|flow_run_id }}', { t: 'no run here' })).toBe('None');
  });

  it('ui_url and ui_resource_events_url render empty without a UI base URL', () => {
    const r = { 'prefect.resource.id': `prefect.deployment.${id}` };
    expect(renderTemplate('[{{ r|ui_url }}|{{ r|ui_resource_events_url }}]', { r })).toBe('[|]');
  });
});

describe('Python string and dict methods', () => {
  it('work on context data without changing it', () => {
    const body = { ref: 'refs/heads/main', labels: { team: 'data' } };
    const source =
      "{{ body.ref.startswith('refs/heads/') }} {{ body.ref.split('/')[-1] }} {{ body.ref.replace('refs/heads/', '') }}" +
      " {{ body.labels.get('team') }} {{ body.labels.get('x', 'none') }} {% for k, v in body.labels.items() %}{{ k }}={{ v }}{% endfor %}";
    expect(renderTemplate(source, { body })).toBe('True main main data none team=data');
    expect(body).toEqual({ ref: 'refs/heads/main', labels: { team: 'data' } });
  });

  it('reads string escapes the Python way', () => {
    expect(renderTemplate("{{ '\\u00e9\\x41\\101\\n\\d' }}", {})).toBe('éAA\n\\d');
  });
});
