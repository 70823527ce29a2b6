// The one place the CLI connects: the API's URL (TRIPWIRE_API_URL, else HOST:PORT) and its key (TRIPWIRE_API_KEY,
// else the key tripwire generated in TRIPWIRE_DATA_DIR). Errors from the API come back as ApiClientError.
import { readApiKeyFile } from '../services/config/api-key';
import { apiTarget } from '../services/config/env';

/** Thrown for a non-2xx answer; `status` and the API's message are kept. */
export class ApiClientError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: { path: string; message: string }[],
  ) {
    super(message);
    this.name = 'ApiClientError';
  }
}

export interface ApiClient {
  readonly baseUrl: string;
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** Reads server-sent events from `path` until the server ends the stream; resumes after `lastEventId` if given. */
  stream(
    path: string,
    onEvent: (data: string, id: string | undefined) => void,
    signal?: AbortSignal,
    lastEventId?: string,
  ): Promise<void>;
}

/** Returns a client configured from `env`. */
export function createApiClient(env: Record<string, string | undefined> = process.env): ApiClient {
  const target = apiTarget(env);
  const { baseUrl } = target;
  const key = target.apiKey ?? readApiKeyFile(target.dataDir);
  const headers = (): Record<string, string> => ({
    ...(key ? { authorization: `Bearer ${key}` } : {}),
    accept: 'application/json',
  });

  const fail = async (response: Response): Promise<never> => {
    const text = await response.text();
    let message = `${response.status} ${response.statusText}`;
    let details: { path: string; message: string }[] | undefined;
    try {
      const parsed = JSON.parse(text) as {
        error?: { message?: string; details?: { path: string; message: string }[] };
      };
      message = parsed.error?.message ?? message;
      details = parsed.error?.details;
    } catch {
      if (text) message = `${message}: ${text.slice(0, 200)}`;
    }
    throw new ApiClientError(response.status, message, details);
  };

  return {
    baseUrl,
    async request<T>(method: string, urlPath: string, body?: unknown): Promise<T> {
      let response: Response;
      try {
        response = await fetch(`${baseUrl}${urlPath}`, {
          method,
          headers: { ...headers(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (error) {
        throw new ApiClientError(
          0,
          `cannot reach tripwire at ${baseUrl}: ${(error as Error).message}. Is it running (npm start)?`,
        );
      }
      if (!response.ok) return fail(response);
      if (response.status === 204) return undefined as T;
      return (await response.json()) as T;
    },
    async stream(urlPath, onEvent, signal, lastEventId) {
      let response: Response;
      try {
        response = await fetch(`${baseUrl}${urlPath}`, {
          headers: {
            ...headers(),
            accept: 'text/event-stream',
            ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
          },
          signal,
        });
      } catch (error) {
        if (signal?.aborted) throw error;
        throw new ApiClientError(0, `cannot reach tripwire at ${baseUrl}: ${(error as Error).message}`);
      }
      if (!response.ok || !response.body) return fail(response);
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          const id = block
            .split('\n')
            .find((l) => l.startsWith('id: '))
            ?.slice(4);
          if (data && block.includes('event: event')) onEvent(data, id);
        }
      }
    },
  };
}
