import { renderTemplate, TemplateError, validateTemplate } from '../../templates/render';

function failure(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error('expected a TemplateError, but nothing was thrown');
}

const loop = (body = '') => `{% for x in items %}${body}{% endfor %}`;

describe('range()', () => {
  it('allows up to 100 items, counting the result and not the arguments', () => {
    expect(
      renderTemplate('{{ range(100)|length }} {{ range(0, 1000, 10)|length }} {{ range(5, 0, -1)|list }}', {}),
    ).toBe('100 100 [5, 4, 3, 2, 1]');
  });

  it.each(['{{ range(101) }}', '{{ range(0, 1000000000000) }}', '{{ range(-200, 0) }}'])('refuses %s', (source) => {
    expect(failure(() => renderTemplate(source, {}))).toMatchObject({ kind: 'limit', line: 1 });
  });
});

describe('loop limits (checked on save, as in Prefect)', () => {
  it('allows 10 loops nested 2 deep', () => {
    expect(() => validateTemplate(loop().repeat(8) + loop(loop()))).not.toThrow();
  });

  it('refuses an 11th loop, reporting the total and the position of the 11th', () => {
    const source = `${loop().repeat(10)}\n${loop()}`;
    expect(failure(() => validateTemplate(source))).toMatchObject({
      kind: 'limit',
      message: 'Contains 11 for loops. Templates can contain no more than 10 for loops.',
      line: 2,
      column: 4,
    });
  });

  it('refuses loops nested 3 deep, including loops in an else branch', () => {
    expect(failure(() => validateTemplate(loop(loop(loop()))))).toMatchObject({
      kind: 'limit',
      message: 'Contains nested for loops at a depth of 3. Templates can nest for loops no more than 2 loops deep.',
    });
    const inElse = `{% for a in x %}{% for b in y %}{% endfor %}{% else %}{% for c in z %}{% endfor %}{% endfor %}`;
    expect(() => validateTemplate(inElse)).not.toThrow(); // the else branch's loop is at depth 2
    const deeper = `{% for a in x %}{% else %}{% for c in z %}{% for d in w %}{% endfor %}{% endfor %}{% endfor %}`;
    expect(failure(() => validateTemplate(deeper)).kind).toBe('limit');
  });

  it('also refuses such templates when rendering them directly', () => {
    expect(failure(() => renderTemplate(loop(loop(loop('x'))), { items: [1] })).kind).toBe('limit');
  });
});

describe('render time budget', () => {
  it('stops a huge nested loop once the time is up', () => {
    const items = Array.from({ length: 20_000 }, (_, i) => i);
    const started = performance.now();
    const error = failure(() =>
      renderTemplate(
        '{% for a in items %}{% for b in items %}{{ a * b }}{% endfor %}{% endfor %}',
        { items },
        {
          timeoutMs: 50,
          maxOutputBytes: 1e9,
        },
      ),
    );
    expect(error).toMatchObject({ kind: 'limit', message: 'the template took longer than 50 ms to render' });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('stops runaway macro recursion', () => {
    const error = failure(() => renderTemplate('{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}', {}));
    expect(error.kind).toBe('limit');
  });
});

describe('output size', () => {
  it('refuses output over maxOutputBytes, counted in UTF-8 bytes', () => {
    expect(renderTemplate('{{ s }}', { s: 'é'.repeat(5) }, { maxOutputBytes: 10 })).toBe('ééééé');
    expect(failure(() => renderTemplate('{{ s }}!', { s: 'é'.repeat(5) }, { maxOutputBytes: 10 }))).toMatchObject({
      kind: 'limit',
      message: "the template's output is larger than 10 bytes",
    });
  });

  it('stops a loop that would produce far more than the budget long before finishing', () => {
    const big = 'x'.repeat(100_000);
    const source = '{% for a in range(100) %}{% for b in range(100) %}{{ big }}{% endfor %}{% endfor %}';
    expect(failure(() => renderTemplate(source, { big })).kind).toBe('limit');
  });

  it('refuses intermediate strings and lists larger than the output budget', () => {
    const options = { maxOutputBytes: 1000 };
    expect(failure(() => renderTemplate('{% set s = "x" * 1000000000 %}', {}, options)).kind).toBe('limit');
    expect(failure(() => renderTemplate('{% set s = [1] * 1000000000 %}', {}, options)).kind).toBe('limit');
    const doubling = '{% set s = "xxxxxxxxxx" %}' + '{% set s = s ~ s %}'.repeat(10);
    expect(failure(() => renderTemplate(doubling, {}, options)).kind).toBe('limit');
    expect(failure(() => renderTemplate('{{ "ab".center(100000000) }}', {}, options)).kind).toBe('limit');
  });

  it('counts literal text inside loops too', () => {
    const source = `{% for a in range(100) %}{% for b in range(100) %}${'y'.repeat(1000)}{% endfor %}{% endfor %}`;
    expect(failure(() => renderTemplate(source, {}, { maxOutputBytes: 100_000 })).kind).toBe('limit');
  });
});
