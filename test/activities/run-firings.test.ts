// runFirings starts a firing's first action while the write that records the firing is still in flight, records the
// action's outcome only after that write, and fails the batch when the write fails, so that a retry records it. The
// pipeline is a stand-in because the test must hold that write open and decide how it ends; the webhook is real.
import http from 'node:http';
import { createAutomationActivities } from '../../activities/automations';
import type { Event } from '../../core/events/schema';
import type { IngestPipeline } from '../../services/events/pipeline';
import type { Firing } from '../../core/triggers/schema';
import type { AutomationSnapshot } from '../../workflows/messages';

describe('runFirings', () => {
  let sink: http.Server;
  let url: string;
  let onRequest: () => void = () => {};

  beforeAll(async () => {
    sink = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        onRequest();
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(sink.address() as { port: number }).port}/`;
  });
  afterAll(() => sink.close());

  const automation = (): AutomationSnapshot => ({
    id: 'a1',
    name: 'overlap',
    enabled: true,
    trigger: {
      type: 'event',
      id: 't1',
      posture: 'Reactive',
      match: {},
      match_related: {},
      after: [],
      expect: ['ping'],
      for_each: [],
      threshold: 1,
      within: 0,
    } as unknown as AutomationSnapshot['trigger'],
    actions: [{ type: 'call-webhook', url, payload: '{}' }],
    actions_on_trigger: [],
    actions_on_resolve: [],
    updated: '2026-01-01T00:00:00.000Z',
  });
  const firing: Firing = {
    id: 'f1',
    trigger_id: 't1',
    trigger_states: ['Triggered'],
    triggered: '2026-01-01T00:00:01.000Z',
    triggering_labels: {},
    triggering_firings: [],
    triggering_event: null,
  };

  /** A pipeline whose first write is settled by the test; it logs what happened in order. */
  function controlledPipeline(log: string[]) {
    let settleFirst!: (error?: Error) => void;
    let writes = 0;
    const store = (events: Event[]) => {
      writes += 1;
      const names = events.map((e) => e.event).join('+');
      if (writes > 1) {
        log.push(`stored ${names}`);
        return Promise.resolve([]);
      }
      return new Promise((resolve, reject) => {
        settleFirst = (error) => {
          log.push(error ? `failed ${names}` : `stored ${names}`);
          if (error) reject(error);
          else resolve([]);
        };
      });
    };
    const pipeline = { emit: store, store } as unknown as IngestPipeline;
    return { pipeline, settleFirst: (error?: Error) => settleFirst(error) };
  }

  const work = () => ({
    automation: automation(),
    batch: [{ firing, actions: [{ action: automation().actions[0], actionIndex: 0 }] }],
  });

  /** Activities whose first write ends (with `error`, or well) a moment after the webhook was called. */
  function settleAfterWebhook(error?: Error) {
    const log: string[] = [];
    const { pipeline, settleFirst } = controlledPipeline(log);
    onRequest = () => {
      log.push('webhook called');
      setTimeout(() => settleFirst(error), 30);
    };
    return { log, activities: createAutomationActivities({ pipeline, automations: {} as never }) };
  }

  it('calls the webhook before the firing is committed, and records the outcome after it', async () => {
    const { log, activities } = settleAfterWebhook();
    const [result] = await activities.runFirings(work());
    expect(result!.results).toEqual([expect.objectContaining({ status: 'executed' })]);
    expect(log).toEqual([
      'webhook called',
      'stored prefect.automation.triggered+prefect.automation.action.triggered',
      'stored prefect.automation.action.executed',
    ]);
  });

  it('fails the batch when the firing cannot be recorded, without recording the outcome', async () => {
    const { log, activities } = settleAfterWebhook(new Error('database is down'));
    await expect(activities.runFirings(work())).rejects.toThrow('database is down');
    expect(log).toEqual(['webhook called', 'failed prefect.automation.triggered+prefect.automation.action.triggered']);
  });
});
