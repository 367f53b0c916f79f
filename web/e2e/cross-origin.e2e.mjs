// @ts-check
// The typed client from another origin, in headless Debian Chromium.
// Driven by tests/py/web/test_cross_origin.py, which serves the page of
// tests/web-cross-origin/ (with clients/ts/dist) on one loopback port and
// runs ramal on another, and passes:
//   XO_PAGE        the page's URL (its origin is the "Lovable app")
//   XO_API         ramal's base URL
//   XO_EMAIL, XO_PASSWORD   a user made with `ramal create-user`
//   XO_ARTIFACTS   directory for screenshots
//   CHROMIUM       browser binary (default /usr/bin/chromium)
// The script signs in through the page's form and reports what the page
// shows; the test asserts it.  At each point where the test has work to do
// it prints one JSON line {"need": ..., "page": <the page's steps and
// events>} and reads the answer (one JSON line); at the end it prints
// {"done": true, ...} and exits 0, or prints the failure and exits 1.
import { chromium } from 'playwright-core';
import path from 'node:path';
import readline from 'node:readline';

/** @typedef {import('playwright-core').Page} Page */
/** @typedef {{ state: string, status: string, text: string }} Step */
/** @typedef {{ steps: Record<string, Step>, events: { type: string, id: string, text: string }[], live: string }} PageView */

const lines = readline.createInterface({ input: process.stdin });
const input = lines[Symbol.asyncIterator]();

/**
 * Tell the test (one JSON line) and read its answer (one JSON line).
 * @param {Record<string, unknown>} msg
 * @returns {Promise<Record<string, unknown>>}
 */
async function ask(msg) {
  process.stdout.write(JSON.stringify(msg) + '\n');
  const { value, done } = await input.next();
  if (done) throw new Error('the test closed stdin while asked for ' + String(msg.need));
  /** @type {unknown} */
  const answer = JSON.parse(value);
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer))
    throw new Error('the answer is not a JSON object: ' + value);
  if ('error' in answer && answer.error) throw new Error(String(msg.need) + ': ' + String(answer.error));
  return /** @type {Record<string, unknown>} */ (answer);
}

const pageUrl = process.env.XO_PAGE;
const email = process.env.XO_EMAIL;
const password = process.env.XO_PASSWORD;
const shots = process.env.XO_ARTIFACTS || '.';
let api = process.env.XO_API;
const T = 15_000;
if (!pageUrl || !api || !email || !password) throw new Error('XO_PAGE, XO_API, XO_EMAIL and XO_PASSWORD must be set');

/**
 * What the page shows: its steps, the events received, the stream's state.
 * @param {Page} page
 * @returns {Promise<PageView>}
 */
function view(page) {
  return page.evaluate(() => {
    /** @type {Record<string, { state: string, status: string, text: string }>} */
    const steps = {};
    for (const li of document.querySelectorAll('#steps li')) {
      const el = /** @type {HTMLElement} */ (li);
      steps[el.dataset.step ?? ''] = { state: el.dataset.state ?? '', status: el.dataset.status ?? '', text: el.textContent ?? '' };
    }
    const events = [...document.querySelectorAll('#events li')].map((li) => {
      const el = /** @type {HTMLElement} */ (li);
      return { type: el.dataset.event ?? '', id: el.dataset.id ?? '', text: el.textContent ?? '' };
    });
    return { steps, events, live: document.getElementById('live')?.textContent ?? '' };
  });
}

/**
 * Open the page on api and submit the sign-in form.
 * @param {Page} page
 */
async function signIn(page) {
  await page.goto(pageUrl + '?api=' + encodeURIComponent(api ?? ''), { waitUntil: 'load' });
  await page.getByLabel('E-mail').fill(email ?? '');
  await page.getByLabel('Senha').fill(password ?? '');
  await page.getByRole('button', { name: 'Entrar' }).click();
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
/** @type {Page | undefined} */
let current;
try {
  /** @type {string[]} */
  const console1 = [];
  const first = await browser.newContext({ viewport: { width: 520, height: 760 } });
  const page = await first.newPage();
  current = page;
  page.on('console', (m) => m.type() === 'error' && console1.push(m.text()));
  page.on('pageerror', (e) => console1.push('page error: ' + e.message));

  // ---- allowed origin: sign-in, /token, status, ticket, stream
  await signIn(page);
  // Settled: the stream opened or failed, or an earlier step failed.
  await page.locator('#steps li[data-step=events]:not([data-state=pending]), #steps li[data-state=error]').first().waitFor({ timeout: T });
  await ask({ need: 'event', page: await view(page) });
  // The test changed the status from another session: the event arrives.
  await page.locator('#events li[data-event=status]', { hasText: 'busy' }).waitFor({ timeout: T });
  await page.screenshot({ path: path.join(shots, '01-allowed.png'), fullPage: true });
  const answer = await ask({ need: 'restart', page: await view(page), console: console1 });
  if (typeof answer.api === 'string') api = answer.api;

  // ---- the origin is no longer allowed: a fresh tab (no stored session)
  /** @type {string[]} */
  const console2 = [];
  const second = await browser.newContext({ viewport: { width: 520, height: 760 } });
  const refused = await second.newPage();
  current = refused;
  refused.on('console', (m) => m.type() === 'error' && console2.push(m.text()));
  refused.on('pageerror', (e) => console2.push('page error: ' + e.message));
  await signIn(refused);
  await refused.locator('#steps li[data-step=login]:not([data-state=pending])').waitFor({ timeout: T });
  // Give a wrongly continuing page the time to show a next step.
  await refused.waitForTimeout(500);
  await refused.screenshot({ path: path.join(shots, '02-refused.png'), fullPage: true });
  process.stdout.write(JSON.stringify({ done: true, page: await view(refused), console: console2 }) + '\n');
  await first.close();
  await second.close();
} catch (e) {
  if (current) await current.screenshot({ path: path.join(shots, 'failure.png'), fullPage: true }).catch(() => undefined);
  process.stderr.write('cross-origin e2e failed: ' + (e instanceof Error ? e.stack ?? e.message : String(e)) + '\n');
  process.exitCode = 1;
} finally {
  await browser.close();
  lines.close();
}
