// Automations end to end: REST in, a real Temporal worker running the trigger workflows, actions and their events
// observed in the feed.
import crypto from 'node:crypto';
import http from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { eventually, startTestTripwire, type TestTripwire } from '../../helpers/tripwire';

interface FeedEvent {
  id: string;
  event: string;
  follows: string | null;
  resource: Record<string, string>;
  related: Record<string, string>[];
  payload: Record<string, unknown>;
}

describe('automations', () => {
  let tw: TestTripwire;
  let sink: http.Server;
  let sinkUrl: string;
  const received: { body: string; headers: http.IncomingHttpHeaders }[] = [];

  beforeAll(async () => {
    tw = await startTestTripwire();
    sink = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ body, headers: req.headers });
        res.statusCode = req.url === '/fail' ? 500 : 200;
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    sinkUrl = `http://127.0.0.1:${(sink.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    sink.close();
    await tw.stop();
  });

  const tag = () => crypto.randomBytes(4).toString('hex');
  const create = async (body: Record<string, unknown>) => {
    const response = await tw.api('POST', '/api/automations', {
      name: `a-${tag()}`,
      actions: [{ type: 'do-nothing' }],
      ...body,
    });
    return { status: response.status, body: await response.json() };
  };
  const emit = (name: string, resourceId: string, extra: Record<string, unknown> = {}) =>
    tw.api('POST', '/api/events', {
      id: crypto.randomUUID(),
      event: name,
      resource: { 'prefect.resource.id': resourceId },
      ...extra,
    });
  const feed = async (automationId: string): Promise<FeedEvent[]> =>
    (await (await tw.api('GET', `/api/events?resource=prefect.automation.${automationId}&limit=500`)).json()).events;
  const firings = async (automationId: string) =>
    (await feed(automationId)).filter((e) => e.event === 'prefect.automation.triggered');

  it("validates definitions with Prefect's rules and names the field", async () => {
    const proactive = await create({ trigger: { type: 'event', posture: 'Proactive', expect: ['x'], within: 5 } });
    expect(proactive.status).toBe(422);
    expect(JSON.stringify(proactive.body.error.details)).toMatch(/trigger.*within/);
    const compound = await create({
      trigger: { type: 'compound', require: 3, within: null, triggers: [{ type: 'event', posture: 'Reactive' }] },
    });
    expect(compound.status).toBe(422);
    expect(JSON.stringify(compound.body.error.details)).toMatch(/require/);
    const unknownAction = await create({
      trigger: { type: 'event', posture: 'Reactive' },
      actions: [{ type: 'send-pigeon' }],
    });
    expect(unknownAction.status).toBe(422);
    expect(unknownAction.body.error.details).toContainEqual(
      expect.objectContaining({
        path: 'actions[0].type',
        message: expect.stringMatching(/unknown action type "send-pigeon"/),
      }),
    );
  });

  it("gives a call-webhook action the block id that Prefect's client requires, and asks for a url instead of a block", async () => {
    const trigger = { type: 'event', posture: 'Reactive', match: { 'prefect.resource.id': `hookid.${tag()}` } };
    const action = { type: 'call-webhook', url: 'https://hooks.example.com/a' };
    const first = await create({ trigger, actions: [action] });
    const again = await create({ trigger, actions: [action, { ...action, url: 'https://hooks.example.com/b' }] });
    const [derived] = first.body.actions;
    expect(derived.block_document_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(again.body.actions[0].block_document_id).toBe(derived.block_document_id); // the same target, the same id
    expect(again.body.actions[1].block_document_id).not.toBe(derived.block_document_id);
    const read = await (await tw.api('GET', `/api/automations/${first.body.id}`)).json();
    expect(read.actions[0].block_document_id).toBe(derived.block_document_id);

    const given = crypto.randomUUID();
    const kept = await create({ trigger, actions: [{ ...action, block_document_id: given }] });
    expect(kept.body.actions[0].block_document_id).toBe(given);

    // A definition written for Prefect names a webhook block, which tripwire cannot read.
    const prefectOnly = await create({ trigger, actions: [{ type: 'call-webhook', block_document_id: given }] });
    expect(prefectOnly.status).toBe(422);
    expect(prefectOnly.body.error.details).toContainEqual({
      path: 'actions[0].url',
      message: expect.stringMatching(/tripwire has no blocks/),
    });
  });

  it("keeps an automation's tags, as Prefect's API does, and replaces them with the definition", async () => {
    const trigger = { type: 'event', posture: 'Reactive', match: { 'prefect.resource.id': `tags.${tag()}` } };
    const { status, body: automation } = await create({ trigger, tags: ['etl', 'nightly'] });
    expect(status).toBe(201);
    expect(automation.tags).toEqual(['etl', 'nightly']);
    expect((await (await tw.api('GET', `/api/automations/${automation.id}`)).json()).tags).toEqual(['etl', 'nightly']);
    const listed = (await (await tw.api('GET', '/api/automations')).json()) as { id: string; tags: string[] }[];
    expect(listed.find((a) => a.id === automation.id)?.tags).toEqual(['etl', 'nightly']);

    const put = (body: Record<string, unknown>) =>
      tw.api('PUT', `/api/automations/${automation.id}`, { name: automation.name, trigger, actions: [], ...body });
    expect((await (await put({ tags: ['etl'] })).json()).tags).toEqual(['etl']);
    // A PUT is the whole definition: leaving tags out clears them, as it resets the description.
    expect((await (await put({})).json()).tags).toEqual([]);

    const wrong = await create({ trigger, tags: ['ok', 7] });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.details).toContainEqual(expect.objectContaining({ path: 'tags[1]' }));
  });

  it("answers Prefect's client: POST /filter (with no body, or a name filter), /count and /related-to", async () => {
    const trigger = { type: 'event', posture: 'Reactive', match: { 'prefect.resource.id': `listed.${tag()}` } };
    const name = `listed-${tag()}`;
    const deployment = `prefect.deployment.${crypto.randomUUID()}`;
    const { body: automation } = await create({ name, trigger, owner_resource: deployment });
    const post = (path: string, body?: unknown) =>
      fetch(`${tw.url}/api/automations${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tw.apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    const everything = await post('/filter');
    expect(everything.status).toBe(200);
    const all = (await everything.json()) as { id: string; name: string }[];
    expect(all.map((a) => a.id)).toContain(automation.id);
    expect(all.map((a) => a.name)).toEqual([...all.map((a) => a.name)].sort());
    const byName = (await (
      await post('/filter', { sort: 'CREATED_DESC', automations: { name: { any_: [name] } } })
    ).json()) as { id: string }[];
    expect(byName.map((a) => a.id)).toEqual([automation.id]);
    expect(await (await post('/count')).json()).toBe(all.length);
    const related = (await (await tw.api('GET', `/api/automations/related-to/${deployment}`)).json()) as {
      id: string;
    }[];
    expect(related.map((a) => a.id)).toEqual([automation.id]);

    const wrong = await post('/filter', { limit: 500 });
    expect(wrong.status).toBe(422);
    expect(JSON.stringify(await wrong.json())).toMatch(/limit/);
  });

  it('fires a reactive trigger at its threshold, once per window, with linked action events', async () => {
    const resource = `woodchuck.${tag()}`;
    const { status, body: automation } = await create({
      trigger: {
        type: 'event',
        posture: 'Reactive',
        match: { 'prefect.resource.id': resource },
        expect: ['animal.walked'],
        threshold: 3,
        within: 60,
      },
    });
    expect(status).toBe(201);
    expect(automation.trigger.id).toEqual(expect.any(String));
    for (let i = 0; i < 2; i += 1) expect((await emit('animal.walked', resource)).status).toBe(204);
    await emit('animal.sat', resource);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await firings(automation.id)).toHaveLength(0);
    await emit('animal.walked', resource);
    const [fired] = await eventually(
      async () => {
        const f = await firings(automation.id);
        return f.length > 0 ? f : undefined;
      },
      20_000,
      'the firing',
    );
    expect(fired!.resource).toMatchObject({
      'prefect.resource.name': automation.name,
      'prefect.posture': 'Reactive',
      'prefect.trigger-type': 'event',
    });
    const executed = await eventually(
      async () => (await feed(automation.id)).find((e) => e.event === 'prefect.automation.action.executed'),
      20_000,
      'the action',
    );
    const triggered = (await feed(automation.id)).find((e) => e.event === 'prefect.automation.action.triggered')!;
    expect(executed.follows).toBe(triggered.id);
    expect(executed.payload).toMatchObject({ action_index: 0, action_type: 'do-nothing' });
    // Two more inside the cool-down do not fire again.
    await emit('animal.walked', resource);
    await emit('animal.walked', resource);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await firings(automation.id)).toHaveLength(1);

    const state = await (await tw.api('GET', `/api/automations/${automation.id}/state`)).json();
    expect(state).toMatchObject({ automation_id: automation.id, running: true, firings: 1 });
    expect(state.workflow_id).toMatch(/^automation\//);
  });

  it('starts the workflow again when an event arrives and it is not running', async () => {
    const resource = `phoenix.${tag()}`;
    const { body: automation } = await create({
      trigger: {
        type: 'event',
        posture: 'Reactive',
        match: { 'prefect.resource.id': resource },
        threshold: 1,
        within: 0,
      },
    });
    const connection = await Connection.connect({ address: process.env.TRIPWIRE_TEST_TEMPORAL_ADDRESS! });
    try {
      await new Client({ connection }).workflow.getHandle(automation.workflow_id).terminate('test: gone');
    } finally {
      await connection.close();
    }
    expect((await emit('phoenix.rose', resource)).status).toBe(204);
    await eventually(async () => ((await firings(automation.id)).length === 1 ? true : undefined));
  });

  it('calls a webhook with a templated body and records the answer', async () => {
    const resource = `hook.${tag()}`;
    const { body: automation } = await create({
      trigger: { type: 'event', posture: 'Reactive', match: { 'prefect.resource.id': resource }, expect: ['thing.*'] },
      actions: [
        {
          type: 'call-webhook',
          url: `${sinkUrl}/ok`,
          payload: '{"name": "{{ event.event }}", "by": "{{ automation.name }}", "n": {{ event.payload.n }}}',
        },
      ],
    });
    await emit('thing.happened', resource, { payload: { n: 5 } });
    const call = await eventually(
      async () => received.find((r) => r.body.includes(automation.name)),
      20_000,
      'the webhook call',
    );
    expect(JSON.parse(call.body)).toEqual({ name: 'thing.happened', by: automation.name, n: 5 });
    const executed = await eventually(
      async () => (await feed(automation.id)).find((e) => e.event === 'prefect.automation.action.executed'),
      20_000,
      'executed',
    );
    expect(executed.payload).toMatchObject({ status_code: 200, response_body: 'ok' });
  });

  it('records a failed action with its reason', async () => {
    const resource = `failhook.${tag()}`;
    const { body: automation } = await create({
      trigger: { type: 'event', posture: 'Reactive', match: { 'prefect.resource.id': resource } },
      actions: [{ type: 'call-webhook', url: `${sinkUrl}/fail`, payload: '{}' }],
    });
    await emit('x', resource);
    const failed = await eventually(
      async () => (await feed(automation.id)).find((e) => e.event === 'prefect.automation.action.failed'),
      20_000,
      'failed',
    );
    expect(failed.payload.reason).toBe("Unexpected status from 'call-webhook' action: 500");
  });

  it('fires a proactive trigger when the expected event does not arrive, and not when it does', async () => {
    const quiet = `quiet.${tag()}`;
    const busy = `busy.${tag()}`;
    const make = (resource: string) =>
      create({
        trigger: {
          type: 'event',
          posture: 'Proactive',
          match: { 'prefect.resource.id': resource },
          after: ['job.started'],
          expect: ['job.finished'],
          for_each: ['prefect.resource.id'],
          within: 10,
        },
      });
    const { body: silent } = await make(quiet);
    const { body: chatty } = await make(busy);
    await emit('job.started', quiet);
    await emit('job.started', busy);
    await new Promise((r) => setTimeout(r, 2000));
    await emit('job.finished', busy);
    const fired = await eventually(
      async () => {
        const f = await firings(silent.id);
        return f.length > 0 ? f : undefined;
      },
      30_000,
      'the proactive firing',
    );
    expect(fired[0]!.payload.triggering_labels).toEqual({ 'prefect.resource.id': quiet });
    expect(await firings(chatty.id)).toHaveLength(0);
  });

  it('fires a compound "all" trigger once both children have fired', async () => {
    const r = `compound.${tag()}`;
    const { body: automation } = await create({
      trigger: {
        type: 'compound',
        require: 'all',
        within: 60,
        triggers: [
          { type: 'event', posture: 'Reactive', match: { 'prefect.resource.id': r }, expect: ['a.happened'] },
          { type: 'event', posture: 'Reactive', match: { 'prefect.resource.id': r }, expect: ['b.happened'] },
        ],
      },
    });
    await emit('a.happened', r);
    await new Promise((res) => setTimeout(res, 1000));
    expect(await firings(automation.id)).toHaveLength(0);
    await emit('b.happened', r);
    await eventually(
      async () => ((await firings(automation.id)).length === 1 ? true : undefined),
      20_000,
      'compound firing',
    );
  });

  it('pauses (ending the workflow), resumes, updates and deletes', async () => {
    const r = `lifecycle.${tag()}`;
    const { body: automation } = await create({
      trigger: { type: 'event', posture: 'Reactive', match: { 'prefect.resource.id': r } },
    });
    const patched = await (await tw.api('PATCH', `/api/automations/${automation.id}`, { enabled: false })).json();
    expect(patched.enabled).toBe(false);
    await eventually(
      async () =>
        (await (await tw.api('GET', `/api/automations/${automation.id}/state`)).json()).running === false
          ? true
          : undefined,
      15_000,
      'the workflow to stop',
    );
    await emit('x', r);
    await new Promise((res) => setTimeout(res, 1500));
    expect(await firings(automation.id)).toHaveLength(0);

    await tw.api('PATCH', `/api/automations/${automation.id}`, { enabled: true });
    await emit('x', r);
    await eventually(
      async () => ((await firings(automation.id)).length === 1 ? true : undefined),
      20_000,
      'a firing after resume',
    );

    const replaced = await tw.api('PUT', `/api/automations/${automation.id}`, {
      name: 'renamed',
      trigger: { type: 'event', posture: 'Reactive', match: { 'prefect.resource.id': r } },
      actions: [],
    });
    expect(replaced.status).toBe(200);
    expect((await replaced.json()).name).toBe('renamed');

    expect((await tw.api('DELETE', `/api/automations/${automation.id}`)).status).toBe(204);
    expect((await tw.api('GET', `/api/automations/${automation.id}`)).status).toBe(404);
    const audit = (await feed(automation.id)).map((e) => e.event);
    expect(audit).toEqual(
      expect.arrayContaining([
        'prefect.automation.created',
        'prefect.automation.updated',
        'prefect.automation.deleted',
      ]),
    );
    const connection = await Connection.connect({ address: process.env.TRIPWIRE_TEST_TEMPORAL_ADDRESS! });
    await eventually(
      async () => {
        const description = await new Client({ connection }).workflow.getHandle(automation.workflow_id).describe();
        return description.status.name === 'COMPLETED' ? true : undefined;
      },
      15_000,
      'the workflow to end',
    );
    await connection.close();
  });

  it('keeps counting across continue-as-new without losing or double-counting events', async () => {
    const r = `many.${tag()}`;
    const { body: automation } = await create({
      trigger: {
        type: 'event',
        posture: 'Reactive',
        match: { 'prefect.resource.id': r },
        expect: ['tick'],
        threshold: 150,
        within: 3600,
      },
    });
    // The test server suggests continue-as-new after 200 history events; send events one signal at a time.
    const ids: string[] = [];
    for (let i = 0; i < 149; i += 1) {
      const id = crypto.randomUUID();
      ids.push(id);
      await emit('tick', r, { id });
    }
    // Redeliver some: they must not count.
    for (const id of ids.slice(0, 20)) await emit('tick', r, { id });
    await new Promise((res) => setTimeout(res, 2000));
    expect(await firings(automation.id)).toHaveLength(0);
    await emit('tick', r);
    await eventually(
      async () => ((await firings(automation.id)).length === 1 ? true : undefined),
      30_000,
      'the 150th event to fire',
    );
    const connection = await Connection.connect({ address: process.env.TRIPWIRE_TEST_TEMPORAL_ADDRESS! });
    const runs = await eventually(
      async () => {
        const found: string[] = [];
        for await (const execution of new Client({ connection }).workflow.list({
          query: `WorkflowId = '${automation.workflow_id}'`,
        })) {
          found.push(execution.runId);
        }
        return found.length > 1 ? found : undefined;
      },
      10_000,
      'a continued-as-new run',
    );
    await connection.close();
    expect(runs.length).toBeGreaterThan(1);
  }, 120_000);
});
