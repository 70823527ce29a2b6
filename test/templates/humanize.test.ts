import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderTemplate, TemplateError } from '../../templates/render';

interface Vector {
  filter: string;
  input: unknown;
  kwargs: Record<string, unknown>;
  template: string;
  expected?: string;
  error?: string;
}

const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'humanize-vectors.json'), 'utf8')) as {
  humanize: string;
  jinja2_humanize_extension: string;
  now: string;
  vectors: Vector[];
};
const now = new Date(fixture.now);

// Deliberate extension: Python prints epoch numbers back unchanged here; tripwire reads them as datetimes.
const isEpochDay = (v: Vector) => /naturalda(y|te)$/.test(v.filter) && typeof v.input === 'number';

describe(`humanize ${fixture.humanize} via jinja2-humanize-extension ${fixture.jinja2_humanize_extension}`, () => {
  const vectors = fixture.vectors.filter((v) => !isEpochDay(v));
  const context = (v: Vector) => ({ value: v.input, when: v.kwargs.when });

  it('cover every filter with a spread of inputs', () => {
    const filters = new Set(vectors.map((v) => v.filter));
    expect([...filters].sort()).toEqual([
      'humanize_apnumber',
      'humanize_clamp',
      'humanize_fractional',
      'humanize_intcomma',
      'humanize_intword',
      'humanize_metric',
      'humanize_naturaldate',
      'humanize_naturalday',
      'humanize_naturaldelta',
      'humanize_naturalsize',
      'humanize_naturaltime',
      'humanize_ordinal',
      'humanize_precisedelta',
      'humanize_scientific',
    ]);
    expect(vectors.length).toBeGreaterThan(800);
  });

  it.each(vectors.filter((v) => v.error === undefined).map((v) => [v.template, v.input, v] as const))(
    '%s with %j',
    (template, _input, v) => {
      expect(renderTemplate(template, context(v), { now })).toBe(v.expected);
    },
  );

  it.each(vectors.filter((v) => v.error !== undefined).map((v) => [v.template, v.input, v] as const))(
    '%s with %j fails as in Python',
    (template, _input, v) => {
      expect(() => renderTemplate(template, context(v), { now })).toThrow(TemplateError);
    },
  );
});

describe('humanize time filters in tripwire', () => {
  const at = new Date('2024-03-10T12:00:00Z');

  it('read epoch seconds as datetimes in naturalday and naturaldate', () => {
    const yesterday = at.getTime() / 1000 - 86_400;
    expect(renderTemplate('{{ t|humanize_naturalday }}', { t: yesterday }, { now: at })).toBe('yesterday');
    expect(renderTemplate('{{ t|humanize_naturaldate }}', { t: 0 }, { now: at })).toBe('Jan 01 1970');
  });

  it('measure naturaltime against the injected now', () => {
    const template = '{{ t|humanize_naturaltime }}';
    expect(renderTemplate(template, { t: '2024-03-10T11:00:00Z' }, { now: at })).toBe('an hour ago');
    expect(renderTemplate(template, { t: '2024-03-12T12:00:00Z' }, { now: at })).toBe('2 days from now');
  });
});
