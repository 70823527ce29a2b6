// The console end to end in a real Chromium against a whole tripwire (Temporal dev server, worker, pool worker):
// a webhook made in the playground, real requests arriving on the live tail, a refused request's failure event, an
// automation from JSON that runs a deployment, and a scheduled run counted down and cancelled. It also writes the
// README's screenshots to docs/.
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { PoolWorker } from '../../../worker/pool-worker';
import { launchBrowser, signIn, type TestBrowser } from '../../helpers/browser';
import { readJson, startTestPool, startTestTripwire, type TestTripwire } from '../../helpers/tripwire';

const FLOWS = path.resolve(__dirname, '..', '..', 'fixtures', 'flows', 'test-flows.ts');
const DOCS = path.resolve(__dirname, '..', '..', '..', 'docs');

const PUSH = {
  ref: 'refs/heads/main',
  repository: { full_name: 'octo/hello', html_url: 'https://github.com/octo/hello' },
  pusher: { name: 'octocat' },
  head_commit: { id: '6dcb09b5b57875f334f61aebed695e2e4193db5e', message: 'Fix all the bugs' },
};

describe('console end to end', () => {
  let tw: TestTripwire;
  let pool: PoolWorker;
  let poolName: string;
  let browser: TestBrowser;
  let page: Page;
  let problems: string[];
  let slug: string;

  beforeAll(async () => {
    tw = await startTestTripwire();
    ({ pool, name: poolName } = await startTestPool(tw));
    browser = await launchBrowser();
    ({ page, problems } = await browser.page({ acceptDialogs: true }));
    await signIn(page, tw.url, tw.apiKey);
  });
  afterAll(async () => {
    await browser?.close();
    await pool?.stop();
    await tw?.stop();
  });

  const hook = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${tw.url}/hooks/${slug}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', ...headers },
      body,
    });

  it('creates a webhook in the playground: previews a GitHub push, shows a template error, saves', async () => {
    await page.goto(`${tw.url}/webhooks`);
    await page.click('text=New webhook');
    await page.fill('input[name="name"]', 'github');
    await page.fill('textarea[name="sample-body"]', JSON.stringify(PUSH, null, 2));
    await page.click('#preview');
    const events = await page.locator('#preview-events').textContent();
    const [event] = JSON.parse(events!) as { event: string; resource: Record<string, string> }[];
    expect(event).toMatchObject({
      event: 'github.push',
      resource: { 'prefect.resource.id': 'github.repo.octo/hello' },
    });
    await page.screenshot({ path: path.join(DOCS, 'console-playground.png') });

    // A template that breaks says where, and nothing is stored by previewing.
    const template = await page.inputValue('#template');
    await page.fill('#template', template.replace('body.repository.full_name', 'body.repository.full_name | nosuch'));
    await page.click('#preview');
    await expect(page.locator('#preview-error').textContent()).resolves.toMatch(/render|nosuch/);
    expect(await readJson(await tw.api('GET', '/api/webhooks'))).toEqual([]);
    await page.fill('#template', template);

    await Promise.all([page.waitForURL(/\/webhooks\/[0-9a-f-]{36}$/), page.click('#save')]);
    const url = await page.locator('#webhook-url').textContent();
    slug = url!.split('/hooks/')[1]!;
    expect(slug).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(problems).toEqual([]);
  });

  it('shows a real request on the live tail without a reload, and opens it', async () => {
    await page.goto(`${tw.url}/`);
    await page.locator('#tail-status', { hasText: 'Live tail on' }).waitFor();
    const marker = await page.evaluate('window.marker = Date.now()');
    expect((await hook(JSON.stringify(PUSH))).status).toBe(204);
    const row = page.locator('#feed-rows tr', { hasText: 'github.push' }).first();
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('github.repo.octo/hello');
    // Still the same document: the row came over the live tail.
    expect(await page.evaluate('window.marker')).toBe(marker);
    await page.screenshot({ path: path.join(DOCS, 'console-feed.png') });

    // Paused, new events wait; resumed, they appear.
    await page.click('#tail-pause');
    expect((await hook(JSON.stringify({ ...PUSH, ref: 'refs/heads/paused' }))).status).toBe(204);
    await page.locator('#tail-status', { hasText: '1 new' }).waitFor();
    expect(await page.locator('#feed-rows tr', { hasText: 'github.push' }).count()).toBe(1);
    await page.click('#tail-pause');
    await page.locator('#feed-rows tr', { hasText: 'github.push' }).nth(1).waitFor();

    await row.locator('a').first().click();
    await page.waitForURL(/\/events\//);
    const json = JSON.parse((await page.locator('#event-json').textContent())!) as { payload: unknown };
    expect(json.payload).toMatchObject({ ref: expect.stringMatching(/^refs\/heads\//) });
  });

  it('shows the failure event of a broken request with what was received', async () => {
    await page.goto(`${tw.url}/`);
    await page.locator('#tail-status', { hasText: 'Live tail on' }).waitFor();
    expect((await hook('{"repository": ', { 'x-request-id': 'broken-1' })).status).toBe(400);
    const row = page.locator('#feed-rows tr', { hasText: 'prefect-cloud.webhook.failed' }).first();
    await row.waitFor();
    await row.locator('a').first().click();
    await page.waitForURL(/\/events\//);
    const received = await page.locator('#failure-request').textContent();
    expect(received).toContain('{"repository": ');
    expect(received).toContain('x-request-id: broken-1');
    await expect(page.locator('.failure .error').textContent()).resolves.toMatch(/^400: .*JSON/);
  });

  it('creates an automation from JSON whose run-deployment action runs when a matching event arrives', async () => {
    const deployment = await readJson(
      await tw.api('POST', '/api/deployments', {
        name: 'echo',
        entrypoint: `${FLOWS}:echoFlow`,
        work_pool: { name: poolName },
        parameters: { source: 'console' },
      }),
    );
    await page.goto(`${tw.url}/automations/new`);
    await page.fill(
      '#automation-json',
      JSON.stringify({
        name: 'push runs echo',
        trigger: {
          type: 'event',
          posture: 'Reactive',
          expect: ['github.push'],
          match: { 'prefect.resource.id': 'github.repo.*' },
          threshold: 1,
          within: 0,
        },
        actions: [{ type: 'run-deployment', source: 'selected', deployment_id: deployment.id, parameters: {} }],
      }),
    );
    await Promise.all([
      page.waitForURL(/\/automations\/[0-9a-f-]{36}$/),
      page.click('#automation-form button[type="submit"]'),
    ]);
    await expect(page.locator('#automation-json').textContent()).resolves.toContain('run-deployment');

    // The automation's workflow may take a moment to start; send until a run appears.
    let runLink = page.locator('#never');
    for (let attempt = 0; attempt < 30; attempt++) {
      expect((await hook(JSON.stringify(PUSH))).status).toBe(204);
      await page.waitForTimeout(1000);
      await page.goto(`${tw.url}/flow-runs?deployment=echo`);
      runLink = page.locator('table a').first();
      if ((await runLink.count()) > 0) break;
    }
    await runLink.click();
    await page.waitForURL(/\/flow-runs\//);
    // The page follows the run's state on its own, reloading when it changes.
    await page.locator('#run-state', { hasText: 'Completed' }).waitFor({ timeout: 45_000 });
    await expect(page.locator('#run-result').textContent()).resolves.toContain('received');

    // The run links to the automation that made it; its firing to the event that caused it, whose page says so.
    await page.locator('a', { hasText: 'automation push runs echo' }).click();
    await page.waitForURL(/\/automations\//);
    await page.locator('table.feed a', { hasText: 'prefect.automation.triggered' }).first().click();
    await page.waitForURL(/\/events\//);
    await page.locator('a.open[data-role="triggering-event"]').click();
    await page.waitForURL(/\/events\//);
    await expect(page.locator('h1').textContent()).resolves.toBe('github.push');
    const caused = page.locator('section[aria-labelledby="caused-h"]');
    await caused.locator('a', { hasText: 'prefect.automation.triggered' }).waitFor();
    await expect(caused.textContent()).resolves.toContain('prefect.automation.action.executed');
    // The run appears there too when the action's event names it.
    expect(await caused.locator('a[href^="/flow-runs/"]').count()).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  it('runs a deployment with schedule_after, counts down, and cancels it', async () => {
    await page.goto(`${tw.url}/deployments/echo`);
    await page.fill('textarea[name="parameters"]', '{"source": "form"}');
    await page.fill('input[name="schedule_after"]', '3600');
    await Promise.all([page.waitForURL(/\/flow-runs\//), page.click('#run-form button[type="submit"]')]);
    await expect(page.locator('#run-state').textContent()).resolves.toBe('Scheduled');
    await page.locator('#countdown', { hasText: /^59m \d+s$/ }).waitFor();
    await page.click('button:has-text("Cancel")');
    await page.locator('#run-state', { hasText: 'Cancelled' }).waitFor();
    const id = page.url().split('/').pop();
    expect((await readJson(await tw.api('GET', `/api/flow-runs/${id}`))).state.type).toBe('CANCELLED');
    expect(problems).toEqual([]);
  });

  it('fits a phone screen in dark mode', async () => {
    const phone = await browser.page({ width: 390, height: 844, colorScheme: 'dark' });
    await signIn(phone.page, tw.url, tw.apiKey);
    const overflow = await phone.page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    const background = await phone.page.evaluate('getComputedStyle(document.body).backgroundColor');
    expect(background).toBe('rgb(15, 17, 21)');
    // Keyboard: the first Tab reaches the skip link, then the navigation.
    await phone.page.keyboard.press('Tab');
    expect(await phone.page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
    await phone.context.close();
  });
});
