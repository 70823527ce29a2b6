// One HTTP request with a deadline, over node:http with kept-alive connections. The call-webhook action used fetch,
// whose undici machinery cost more main-thread time per call than everything else the action does; redirects are
// not followed, as Prefect's call-webhook does not follow them either.
import http from 'node:http';
import https from 'node:https';

/** How much of a response body is kept; what the action records is shorter still. */
const MAX_RESPONSE_BYTES = 64 * 1024;

// Idle connections close after 4 s, before the 5 s after which Node servers (and many others) drop them.
const agents = {
  'http:': new http.Agent({ keepAlive: true, timeout: 4000 }),
  'https:': new https.Agent({ keepAlive: true, timeout: 4000 }),
};

export interface HttpAnswer {
  status: number;
  /** The start of the response body, as UTF-8 text. */
  text: string;
}

/** Sends one request; rejects on a network error, an unsupported URL, or when no full answer came in `timeoutMs`. */
export function httpRequest(
  url: string,
  options: { method: string; headers: Record<string, string>; body?: string; timeoutMs: number },
): Promise<HttpAnswer> {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return Promise.reject(new Error(`cannot call ${target.protocol} URLs, only http: and https:`));
  }
  const secure = target.protocol === 'https:';
  const headers: Record<string, string | number> = { ...options.headers };
  if (options.body !== undefined) headers['content-length'] = Buffer.byteLength(options.body);
  return new Promise<HttpAnswer>((resolve, reject) => {
    const request = (secure ? https.request : http.request)(target, {
      method: options.method,
      headers,
      agent: secure ? agents['https:'] : agents['http:'],
    });
    const timer = setTimeout(
      () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    request.on('error', fail);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      response.on('data', (chunk: Buffer) => {
        if (kept >= MAX_RESPONSE_BYTES) return;
        chunks.push(chunk);
        kept += chunk.length;
      });
      response.on('error', fail);
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    request.end(options.body);
  });
}
