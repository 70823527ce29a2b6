// The console's defences, in a real Chromium against a real tripwire: signed-out browsers read nothing, the session
// cookie's attributes, sign-out, CSRF on state-changing requests, the CSP, and hostile event data shown as text.
import http from 'node:http';
import { launchBrowser, signIn, type TestBrowser } from '../../helpers/browser';
import { eventually, readJson, startTestTripwire, type TestTripwire } from '../../helpers/tripwire';

const XSS = {
  script: '<script>alert("script")</script>',
  img: '<img src=x onerror=alert("img")>',
  js: 'javascript:alert("href")',
  template: '{{ 7*7 }}{% raw %}',
};

describe('console security', () => {
  let tw: TestTripwire;
  let browser: TestBrowser;

  beforeAll(async () => {
    tw = await startTestTripwire({ worker: false });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await tw?.stop();
  });

  it('redirects a signed-out browser to sign in, and serves no data to it', async () => {
    const { page, context } = await browser.page();
    for (const path of ['/', '/webhooks', '/events/0190b8f4-0000-7000-8000-000000000000', '/flow-runs']) {
      await page.goto(`${tw.url}${path}`);
      expect(new URL(page.url()).pathname).toBe('/sign-in');
      expect(new URL(page.url()).searchParams.get('next')).toBe(path);
    }
    const api = await page.request.get(`${tw.url}/console/api/webhooks`);
    expect(api.status()).toBe(401);
    const svg = await page.request.get(`${tw.url}/feed/histogram.svg`, { maxRedirects: 0 });
    expect(svg.status()).toBe(303);
    await context.close();
  });

  it('refuses a wrong key, then signs in with a strict HttpOnly cookie and signs out', async () => {
    const { page, context, problems } = await browser.page();
    await page.goto(`${tw.url}/webhooks`);
    await page.fill('#key', 'not-the-key');
    await page.click('button[type="submit"]');
    await expect(page.locator('[role="alert"]').textContent()).resolves.toContain('Wrong API key');
    problems.length = 0; // the refused sign-in's 401 is logged as a failed load

    await page.fill('#key', tw.apiKey);
    await Promise.all([page.waitForURL(`${tw.url}/webhooks`), page.click('button[type="submit"]')]);
    const [cookie] = (await context.cookies()).filter((c) => c.name === 'tripwire_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: false });
    expect(cookie!.expires).toBeGreaterThan(Date.now() / 1000 + 3600);
    const response = await page.request.get(`${tw.url}/`);
    expect(response.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers()['content-security-policy']).not.toContain('unsafe-inline');

    const stolen = `tripwire_session=${cookie!.value}`;
    await Promise.all([page.waitForURL(/\/sign-in$/), page.click('.sign-out button')]);
    // The old cookie no longer opens anything, even replayed by hand.
    const replay = await fetch(`${tw.url}/console/api/webhooks`, { headers: { cookie: stolen } });
    expect(replay.status).toBe(401);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('keeps the REST API on its bearer key: a session cookie does not open /api', async () => {
    const { page, context } = await browser.page();
    await signIn(page, tw.url, tw.apiKey);
    expect((await page.request.get(`${tw.url}/api/webhooks`)).status()).toBe(401);
    expect((await page.request.get(`${tw.url}/console/api/webhooks`)).status()).toBe(200);
    expect((await tw.api('GET', '/api/webhooks')).status).toBe(200);
    await context.close();
  });

  it('refuses state-changing requests without the CSRF token, from the page origin or another site', async () => {
    const { page, context } = await browser.page();
    await signIn(page, tw.url, tw.apiKey);
    const body = JSON.stringify({ name: 'csrf', template: '{"event": "x", "resource": {"prefect.resource.id": "x"}}' });

    // Same browser, same cookie, but no token: refused.
    const noToken = await page.request.post(`${tw.url}/console/api/webhooks`, {
      data: body,
      headers: { 'content-type': 'application/json' },
    });
    expect(noToken.status()).toBe(403);
    const wrongToken = await page.request.post(`${tw.url}/console/api/webhooks`, {
      data: body,
      headers: { 'content-type': 'application/json', 'x-csrf-token': 'guess' },
    });
    expect(wrongToken.status()).toBe(403);
    // The right token from another origin: refused too.
    await page.goto(`${tw.url}/webhooks`);
    const token = (await page.locator('meta[name="csrf-token"]').getAttribute('content'))!;
    const session = (await context.cookies()).find((c) => c.name === 'tripwire_session')!;
    const otherOrigin = await fetch(`${tw.url}/console/api/webhooks`, {
      method: 'POST',
      body,
      headers: {
        cookie: `tripwire_session=${session.value}`,
        'content-type': 'application/json',
        'x-csrf-token': token,
        origin: 'http://evil.example',
      },
    });
    expect(otherOrigin.status).toBe(403);

    // A real cross-site form post: a page on another origin auto-submits a form to the console.
    const evil = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(
        `<form id="f" method="post" action="${tw.url}/sign-out"></form>` +
          `<form id="g" method="post" action="${tw.url}/console/api/webhooks" enctype="text/plain">` +
          `<input name='{"name":"evil","template":"x","x":"' value='"}'></form>` +
          '<script>document.getElementById("g").submit()</script>',
      );
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.2', resolve));
    const port = (evil.address() as { port: number }).port;
    const refused = page.waitForResponse((r) => r.url().startsWith(`${tw.url}/console/api/webhooks`));
    await page.goto(`http://127.0.0.2:${port}/`);
    expect([401, 403]).toContain((await refused).status());
    evil.close();

    // Nothing was created, and the session is still good.
    expect(await readJson(await tw.api('GET', '/api/webhooks'))).toEqual([]);
    await page.goto(`${tw.url}/webhooks`);
    expect(new URL(page.url()).pathname).toBe('/webhooks');
    await context.close();
  });

  it('shows hostile event data as text everywhere and runs none of it', async () => {
    const created = await readJson(
      await tw.api('POST', '/api/webhooks', {
        name: `evil ${XSS.img}`,
        // The sender controls the event name, resource id and labels, related ids and the payload.
        template: `{
          "event": {{ ('xss.' ~ body.name) | tojson }},
          "resource": {"prefect.resource.id": {{ body.id | tojson }}, "prefect.resource.name": {{ body.label | tojson }}},
          "related": [{"prefect.resource.id": {{ body.link | tojson }}, "prefect.resource.role": "link"}],
          "payload": {{ body | tojson }}
        }`,
      }),
    );
    const send = (body: unknown) =>
      fetch(`${tw.url}/hooks/${created.slug}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-evil': XSS.script },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    expect((await send({ name: XSS.script, id: XSS.img, label: XSS.template, link: XSS.js })).status).toBe(204);
    // A broken request too: its failure event carries the raw body and headers.
    expect((await send(`${XSS.script}${XSS.img}`)).status).toBe(400);

    const { page, context, problems } = await browser.page();
    await signIn(page, tw.url, tw.apiKey);
    await page.goto(`${tw.url}/`);
    const row = page.locator('#feed-rows tr', { hasText: 'xss.' }).first();
    await expect(row.textContent()).resolves.toContain(XSS.script);
    await expect(row.textContent()).resolves.toContain(XSS.img);

    await row.locator('a').first().click();
    await page.waitForURL(/\/events\//);
    const related = page.locator('a', { hasText: XSS.js });
    const href = await related.getAttribute('href');
    expect(href!.startsWith('/?related=')).toBe(true);
    await expect(page.locator('body').textContent()).resolves.toContain(XSS.template);
    await related.click();
    await page.waitForURL(/related=/);

    await page.goto(`${tw.url}/?event=prefect-cloud.webhook.failed`);
    await page.locator('#feed-rows a', { hasText: 'prefect-cloud.webhook.failed' }).first().click();
    await page.waitForURL(/\/events\//);
    const received = await page.locator('#failure-request').textContent();
    expect(received).toContain(`${XSS.script}${XSS.img}`);
    expect(received).toContain(`x-evil: ${XSS.script}`);

    await page.goto(`${tw.url}/webhooks`);
    await expect(page.locator('main').textContent()).resolves.toContain(`evil ${XSS.img}`);
    await page.goto(`${tw.url}/webhooks/${created.id}`);

    // Nothing ran: no dialog, no error, and no element the payloads would have made.
    await page.waitForTimeout(300);
    expect(problems).toEqual([]);
    expect(await page.locator('main script, main img, main [onerror]').count()).toBe(0);
    await context.close();
  });

  it('shows sender data arriving on the live tail as text too', async () => {
    const created = await readJson(
      await tw.api('POST', '/api/webhooks', {
        name: 'tail',
        template:
          '{"event": {{ ("tail." ~ body.name) | tojson }}, "resource": {"prefect.resource.id": {{ body.id | tojson }}}}',
      }),
    );
    const { page, context, problems } = await browser.page();
    await signIn(page, tw.url, tw.apiKey);
    await page.goto(`${tw.url}/?event=tail.`);
    await page.locator('#tail-status', { hasText: 'Live tail on' }).waitFor();
    const response = await fetch(`${tw.url}/hooks/${created.slug}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: XSS.script, id: XSS.img }),
    });
    expect(response.status).toBe(204);
    await eventually(async () => ((await page.locator('#feed-rows tr[data-id]').count()) > 0 ? true : undefined));
    await expect(page.locator('#feed-rows').textContent()).resolves.toContain(`tail.${XSS.script}`);
    expect(await page.locator('#feed-rows script, #feed-rows img').count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });
  it('marks the cookie Secure when tripwire is reached over https', async () => {
    const secure = await startTestTripwire({ worker: false, env: { TRIPWIRE_PUBLIC_URL: 'https://tripwire.example' } });
    try {
      const form = await fetch(`${secure.url}/sign-in`);
      const nonceCookie = form.headers.get('set-cookie')!;
      expect(nonceCookie).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
      const response = await fetch(`${secure.url}/sign-in`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          cookie: nonceCookie.split(';')[0]!,
          'x-forwarded-proto': 'https',
        },
        body: new URLSearchParams({ _csrf: csrf, key: secure.apiKey, next: '//evil.example/' }).toString(),
      });
      expect(response.status).toBe(303);
      // An off-site `next` is not followed.
      expect(response.headers.get('location')).toBe('/');
      const session = response.headers.getSetCookie().find((c) => c.startsWith('tripwire_session='));
      expect(session).toMatch(/; Max-Age=43200; HttpOnly; SameSite=Strict; Secure$/);
    } finally {
      await secure.stop();
    }
  });
});
