// The run-path benchmark's activity: tells the benchmark's sink that the flow's code runs, by posting the id of the
// event that started the run. node:http with a kept-alive agent, as the latency client's own requests.
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** Posts `id` to `sink`. */
export function ping(input: { sink: string; id: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.request(input.sink, { method: 'POST', agent }, (response) => {
      response.resume();
      response.on('end', () => resolve());
    });
    request.on('error', reject);
    request.end(input.id);
  });
}
