// The one error class of the templates module. Every failure a user's template can cause (bad syntax, a sandbox
// refusal, a limit, a failing filter) reaches callers as a TemplateError whose `kind` says which.

/** Why a template was refused or failed. */
export type TemplateErrorKind = 'syntax' | 'render' | 'security' | 'limit';

/** Where and in which template an error happened. */
export interface TemplateErrorDetails {
  /** 1-based line of the template where the problem is, when known. */
  line?: number;
  /** 1-based column of the template where the problem is, when known. */
  column?: number;
  /** The template's source text. */
  source?: string;
  cause?: unknown;
}

/**
 * Thrown when a template cannot be compiled (`syntax`), fails while rendering (`render`), tries something the
 * sandbox forbids (`security`), or exceeds a loop, range, time or output limit (`limit`). The message is written
 * for the template's author and never contains a stack trace.
 */
export class TemplateError extends Error {
  readonly kind: TemplateErrorKind;
  readonly line?: number;
  readonly column?: number;
  readonly source?: string;

  constructor(kind: TemplateErrorKind, message: string, details: TemplateErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TemplateError';
    this.kind = kind;
    if (details.line !== undefined) this.line = details.line;
    if (details.column !== undefined) this.column = details.column;
    if (details.source !== undefined) this.source = details.source;
  }

  /** Returns a copy with position and source filled in where this error has none. */
  withDetails(details: TemplateErrorDetails): TemplateError {
    return new TemplateError(this.kind, this.message, {
      line: this.line ?? details.line,
      column: this.column ?? details.column,
      source: this.source ?? details.source,
      cause: this.cause ?? details.cause,
    });
  }
}
