// The `call-webhook` action: sends a templated body to a URL and records the answer. A status of 300 or more fails the
// action, as Prefect's does; a network error is retried by Temporal.
import type { CallWebhookAction } from '../../core/automations/action-schema';
import { renderTemplate, TemplateError } from '../../templates/render';
import { httpRequest } from './http-request';
import { ActionFailed, type ActionResult } from './outcome';

/** Calls the webhook; throws ActionFailed for a bad template or a non-2xx answer. */
export async function callWebhook(
  action: CallWebhookAction,
  context: Record<string, unknown>,
  idempotencyKey: string,
): Promise<ActionResult> {
  let body: string | undefined;
  try {
    body = action.method === 'GET' ? undefined : renderTemplate(action.payload, context);
  } catch (error) {
    if (error instanceof TemplateError) {
      throw new ActionFailed(`Unable to render the payload of 'call-webhook': ${error.message}`, {
        template_error: error.message,
        template_source: action.payload,
      });
    }
    throw error;
  }
  const response = await httpRequest(action.url, {
    method: action.method,
    headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey, ...action.headers },
    body,
    timeoutMs: action.timeout_seconds * 1000,
  });
  const details = { status_code: response.status, response_body: response.text.slice(0, 1000) };
  if (response.status >= 300) {
    throw new ActionFailed(`Unexpected status from 'call-webhook' action: ${response.status}`, details);
  }
  return { related: [], details };
}
