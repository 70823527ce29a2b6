// The template's `body`, parsed the way Prefect Cloud documents: JSON for application/json, a flat object of fields
// for forms, anything else tried as JSON and otherwise kept as text. An empty body is the empty string. JSON nested
// deeper than MAX_JSON_DEPTH is refused whatever the content type: nothing after the parse could take it.
import { exceedsJsonDepth, MAX_JSON_DEPTH, tooDeepMessage } from '../../core/json-depth';

/** Thrown when a body declared as JSON does not parse, or when any JSON body nests too deeply. */
export class BodyParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BodyParseError';
  }
}

/** Returns the template context's `body` for `raw` sent with `contentType`. */
export function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  const text = raw.toString('utf8');
  if (text === '') return '';
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'application/x-www-form-urlencoded') {
    const fields: Record<string, string> = {};
    for (const [key, value] of new URLSearchParams(text)) fields[key] = value;
    return fields;
  }
  const declaredJson = mediaType === 'application/json' || mediaType.endsWith('+json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    if (declaredJson) throw new BodyParseError(`body is not valid JSON: ${(error as Error).message}`);
    return text;
  }
  if (exceedsJsonDepth(text, MAX_JSON_DEPTH)) throw new BodyParseError(tooDeepMessage('the JSON body'));
  return parsed;
}
