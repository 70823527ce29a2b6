// tripwire console: progressive behaviour for server-rendered pages. Loaded from /static (the CSP allows no inline
// script). Every change goes to /console/api with the page's CSRF token; sender data is only ever set as text.
'use strict';
(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

  /** Calls the REST API through the console's session; resolves to the parsed body, or throws an Error with its message. */
  async function api(method, path, body) {
    const response = await fetch(`/console/api${path}`, {
      method,
      credentials: 'same-origin',
      headers: { 'x-csrf-token': csrf, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    const data = text ? JSON.parse(text) : undefined;
    if (!response.ok) {
      const error = data?.error;
      const details = (error?.details ?? []).map((d) => `${d.path}: ${d.message}`).join('\n');
      throw new Error(`${error?.message ?? response.statusText}${details ? `\n${details}` : ''}`);
    }
    return data;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs ?? {})) node.setAttribute(key, value);
    for (const child of children) node.append(child);
    return node;
  }

  function show(target, ok, ...parts) {
    if (!target) return;
    target.replaceChildren(...parts);
    target.className = ok ? 'result ok' : 'result error';
  }

  function message(error) {
    return el('pre', {}, error instanceof Error ? error.message : String(error));
  }

  /** A page-level notice for actions that have no result area. */
  function notice(text) {
    let box = document.getElementById('notice');
    if (!box) {
      box = el('div', { id: 'notice', role: 'alert', class: 'result error' });
      document.querySelector('main')?.prepend(box);
    }
    box.textContent = text;
  }

  // Buttons that call the API: data-api (method), data-path, data-body, data-confirm, data-then.
  document.addEventListener('click', async (event) => {
    const button = event.target instanceof Element ? event.target.closest('[data-api]') : null;
    if (!button) return;
    const question = button.getAttribute('data-confirm');
    if (question && !window.confirm(question)) return;
    button.disabled = true;
    try {
      await api(
        button.getAttribute('data-api'),
        button.getAttribute('data-path'),
        button.getAttribute('data-body') ?? undefined,
      );
      const then = button.getAttribute('data-then');
      if (then) window.location.assign(then);
      else window.location.reload();
    } catch (error) {
      notice(error.message);
      button.disabled = false;
    }
  });

  // Copy buttons: data-copy-from names the element whose text is copied.
  document.addEventListener('click', async (event) => {
    const button = event.target instanceof Element ? event.target.closest('[data-copy-from]') : null;
    if (!button) return;
    const source = document.getElementById(button.getAttribute('data-copy-from'));
    try {
      await navigator.clipboard.writeText(source?.textContent ?? '');
      button.textContent = 'Copied';
    } catch {
      const range = document.createRange();
      range.selectNodeContents(source);
      window.getSelection()?.removeAllRanges();
      window.getSelection()?.addRange(range);
      button.textContent = 'Selected; press Ctrl+C';
    }
    setTimeout(() => (button.textContent = 'Copy'), 2000);
  });

  // The live tail of the feed.
  const status = document.getElementById('tail-status');
  const rows = document.getElementById('feed-rows');
  if (status && rows) {
    const pause = document.getElementById('tail-pause');
    const text = (status.getAttribute('data-text') ?? '').toLowerCase();
    let paused = false;
    let held = [];
    const source = new EventSource(status.getAttribute('data-stream'));
    const setStatus = (value) => (status.textContent = value);
    const add = (e) => {
      if (rows.querySelector(`tr[data-id="${CSS.escape(e.id)}"]`)) return;
      rows.querySelector('tr.empty')?.remove();
      const resource = e.resource?.['prefect.resource.id'] ?? '';
      const name = e.resource?.['prefect.resource.name'];
      const resourceCell = el('td', {}, el('a', { href: `/?${new URLSearchParams({ resource })}` }, resource));
      if (name) resourceCell.append(' ', el('span', { class: 'muted' }, name));
      const row = el(
        'tr',
        { 'data-id': e.id, class: 'new' },
        el('td', {}, el('time', { datetime: e.occurred }, String(e.occurred).replace('T', ' ').slice(0, 23))),
        el('td', {}, el('a', { href: `/events/${encodeURIComponent(e.id)}` }, e.event)),
        resourceCell,
      );
      rows.prepend(row);
    };
    source.addEventListener('open', () => setStatus(paused ? 'Live tail paused' : 'Live tail on'));
    source.addEventListener('error', () => setStatus('Live tail reconnecting…'));
    source.addEventListener('event', (message) => {
      const e = JSON.parse(message.data);
      if (text && !JSON.stringify(e).toLowerCase().includes(text)) return;
      if (paused) {
        held.push(e);
        setStatus(`Live tail paused (${held.length} new)`);
      } else add(e);
    });
    pause?.addEventListener('click', () => {
      paused = !paused;
      pause.setAttribute('aria-pressed', String(paused));
      pause.textContent = paused ? 'Resume' : 'Pause';
      if (!paused) {
        for (const e of held) add(e);
        held = [];
      }
      setStatus(paused ? 'Live tail paused' : 'Live tail on');
    });
  }

  // The webhook editor and its playground.
  const webhookForm = document.getElementById('webhook-form');
  if (webhookForm) {
    const id = webhookForm.getAttribute('data-id');
    const field = (name) => webhookForm.elements.namedItem(name);
    const result = document.getElementById('preview-result');
    document.getElementById('use-sample')?.addEventListener('click', (event) => {
      const sample = JSON.parse(event.currentTarget.getAttribute('data-sample'));
      field('sample-method').value = sample.method;
      field('sample-headers').value = JSON.stringify(sample.headers, null, 2);
      field('sample-body').value = sample.body;
    });
    document.getElementById('preview').addEventListener('click', async () => {
      let headers;
      try {
        headers = JSON.parse(field('sample-headers').value || '{}');
      } catch (error) {
        show(result, false, el('p', {}, `The headers are not JSON: ${error.message}`));
        return;
      }
      try {
        const outcome = await api('POST', id ? `/webhooks/${encodeURIComponent(id)}/preview` : '/webhooks/preview', {
          template: field('template').value,
          request: { method: field('sample-method').value, headers, body: field('sample-body').value },
        });
        if (outcome.ok) {
          show(
            result,
            true,
            el('p', {}, `Renders ${outcome.events.length} valid event${outcome.events.length === 1 ? '' : 's'}:`),
            el('pre', { id: 'preview-events' }, JSON.stringify(outcome.events, null, 2)),
          );
        } else {
          const where = outcome.line !== undefined ? ` (line ${outcome.line}, column ${outcome.column})` : '';
          const parts = [el('p', { id: 'preview-error' }, `${outcome.stage}: ${outcome.reason}${where}`)];
          if (outcome.rendered !== undefined)
            parts.push(el('p', {}, 'Rendered text:'), el('pre', {}, outcome.rendered));
          show(result, false, ...parts);
        }
      } catch (error) {
        show(result, false, message(error));
      }
    });
    webhookForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const type = field('verification').value;
      const secret = field('secret').value;
      const body = {
        name: field('name').value,
        description: field('description').value,
        template: field('template').value,
        enabled: field('enabled').checked,
        handshakes: [...webhookForm.querySelectorAll('input[name="handshake"]:checked')].map((box) => box.value),
        ...(type ? { verification: { type, ...(secret ? { secret } : {}) } } : { verification: null }),
      };
      try {
        const saved = id
          ? await api('PATCH', `/webhooks/${encodeURIComponent(id)}`, body)
          : await api('POST', '/webhooks', body);
        if (saved.verification?.secret) {
          show(
            result,
            true,
            el('p', {}, 'Saved. The signing secret is shown this once:'),
            el('pre', {}, saved.verification.secret),
            el('a', { href: `/webhooks/${encodeURIComponent(saved.id)}` }, 'Go to the webhook'),
          );
        } else window.location.assign(`/webhooks/${encodeURIComponent(saved.id)}`);
      } catch (error) {
        show(result, false, message(error));
      }
    });
  }

  // A new automation from JSON.
  const automationForm = document.getElementById('automation-form');
  automationForm?.addEventListener('submit', async (event) => {
    event.preventDefault();
    const result = document.getElementById('form-result');
    try {
      const body = JSON.parse(automationForm.elements.namedItem('json').value);
      const created = await api('POST', '/automations', body);
      window.location.assign(`/automations/${encodeURIComponent(created.id)}`);
    } catch (error) {
      show(result, false, message(error));
    }
  });

  // Running a deployment.
  const runForm = document.getElementById('run-form');
  runForm?.addEventListener('submit', async (event) => {
    event.preventDefault();
    const result = document.getElementById('form-result');
    try {
      let parameters = {};
      const json = runForm.elements.namedItem('parameters');
      if (json) parameters = JSON.parse(json.value || '{}');
      for (const input of runForm.querySelectorAll('[name^="param:"]')) {
        const name = input.name.slice('param:'.length);
        const type = input.getAttribute('data-type');
        if (type === 'boolean') parameters[name] = input.checked;
        else if (input.value === '') continue;
        else if (type === 'number' || type === 'integer') parameters[name] = Number(input.value);
        else parameters[name] = input.value;
      }
      const after = runForm.elements.namedItem('schedule_after').value.trim();
      const body = {
        parameters,
        ...(after ? { schedule_after: /^\d+(\.\d+)?$/.test(after) ? Number(after) : after } : {}),
      };
      const run = await api(
        'POST',
        `/deployments/${encodeURIComponent(runForm.getAttribute('data-deployment'))}/runs`,
        body,
      );
      window.location.assign(`/flow-runs/${encodeURIComponent(run.id)}`);
    } catch (error) {
      show(result, false, message(error));
    }
  });

  // A flow run's countdown, and a refresh when its state changes.
  const run = document.getElementById('run');
  if (run) {
    const countdown = document.getElementById('countdown');
    if (countdown) {
      const at = Date.parse(countdown.getAttribute('data-at'));
      const tick = () => {
        const left = Math.max(0, Math.round((at - Date.now()) / 1000));
        const h = Math.floor(left / 3600);
        const m = Math.floor((left % 3600) / 60);
        const s = left % 60;
        countdown.textContent = `${h ? `${h}h ` : ''}${h || m ? `${m}m ` : ''}${s}s`;
      };
      tick();
      setInterval(tick, 1000);
    }
    if (run.getAttribute('data-final') === 'no') {
      const id = window.location.pathname.split('/').pop();
      const state = run.getAttribute('data-state');
      setInterval(async () => {
        try {
          const current = await api('GET', `/flow-runs/${id}`);
          if (current.state.type !== state) window.location.reload();
        } catch {
          // Shown again on the next poll; a page that cannot reach tripwire keeps what it shows.
        }
      }, 2000);
    }
  }
})();
