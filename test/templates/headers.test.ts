import { caseInsensitiveHeaders } from '../../templates/headers';
import { renderTemplate } from '../../templates/render';

describe('caseInsensitiveHeaders', () => {
  const headers = caseInsensitiveHeaders({
    'Content-Length': '42',
    'X-Multi': ['a', 'b'],
    'x-multi': 'c',
    'X-Missing': undefined,
    Accept: 'application/json',
  });

  it('finds a header under any capitalisation, but only by its exact name', () => {
    expect(headers['content-length']).toBe('42');
    expect(headers['CoNtEnt-LeNgTh']).toBe('42');
    expect(headers.content_length).toBeUndefined();
    expect('CONTENT-LENGTH' in headers).toBe(true);
  });

  it('joins repeated values and drops undefined ones', () => {
    expect(headers['x-multi']).toBe('a, b, c');
    expect(Object.keys(headers)).toEqual(['content-length', 'x-multi', 'accept']);
  });

  it('serialises with lower-case names', () => {
    expect(JSON.parse(JSON.stringify(headers))).toEqual({
      'content-length': '42',
      'x-multi': 'a, b, c',
      accept: 'application/json',
    });
    expect(renderTemplate('{{ headers|tojson }}', { headers })).toBe(
      '{"accept": "application/json", "content-length": "42", "x-multi": "a, b, c"}',
    );
  });

  it('is read-only', () => {
    expect(() => {
      'use strict';
      headers['X-New'] = '1';
    }).toThrow(TypeError);
    expect(headers['x-new']).toBeUndefined();
  });

  it('works in templates: lookups, get(), items(), dictsort and `in`', () => {
    const source =
      "{{ headers['Content-Length'] }}|{{ headers.accept }}|{{ headers.get('ACCEPT') }}|{{ headers.get('nope', '-') }}|" +
      '{% for k, v in headers|dictsort %}{{ k }};{% endfor %}|{% for k, v in headers.items() %}{{ k }};{% endfor %}|' +
      "{{ 'X-MULTI' in headers }}";
    expect(renderTemplate(source, { headers })).toBe(
      '42|application/json|application/json|-|accept;content-length;x-multi;|content-length;x-multi;accept;|True',
    );
  });
});
