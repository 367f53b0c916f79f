// @ts-check
// End-to-end run of the softphone (the e2e build, with the fake Voice SDK)
// in headless Debian Chromium, against a real ramal.  Driven by
// tests/py/test_web_e2e.py, which passes:
//   E2E_URL        ramal's base URL (serving web/dist-e2e)
//   E2E_EMAIL, E2E_PASSWORD   a user made with `ramal create-user`
//   E2E_ARTIFACTS  directory for screenshots
//   CHROMIUM       browser binary (default /usr/bin/chromium)
// The Twilio side of the call is played by the test: at each step that
// needs it, this script prints one JSON line {"need": ...} and reads the
// answer (one JSON line) from stdin.  At the end it prints one JSON line
// (what the fake SDK recorded) and exits 0, or prints the failure and
// exits 1.
// Type-checked (JSDoc) by `npm run typecheck` with e2e/tsconfig.json;
// window.__fakeVoice is typed in e2e/fake-voice.d.ts.
import { chromium } from 'playwright-core';
import path from 'node:path';
import readline from 'node:readline';

/** @typedef {import('playwright-core').Page} Page */
/** @typedef {import('../src/testing/fake-voice-sdk').FakeVoiceControl} FakeVoiceControl */
/**
 * The test's answer to {"need": "call"}: the SDK's incoming call for
 * window.__fakeVoice.incoming(), and the line's label the popup shows.
 * @typedef {{ incoming: Parameters<FakeVoiceControl['incoming']>[0], line_label: string }} CallOffer
 */

const lines = readline.createInterface({ input: process.stdin });
const input = lines[Symbol.asyncIterator]();
/**
 * Ask the test (one JSON line out) and read its answer (one JSON line in).
 * @param {string} need
 * @param {Record<string, unknown>} [data]
 * @returns {Promise<Record<string, unknown>>}
 */
async function ask(need, data = {}) {
  process.stdout.write(JSON.stringify({ need, ...data }) + '\n');
  const { value, done } = await input.next();
  if (done) throw new Error('the test closed stdin while asked for ' + need);
  /** @type {unknown} */
  const answer = JSON.parse(value);
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer))
    throw new Error(need + ': the answer is not a JSON object: ' + value);
  if ('error' in answer && answer.error) throw new Error(need + ': ' + String(answer.error));
  return /** @type {Record<string, unknown>} */ (answer);
}

/**
 * @param {Record<string, unknown>} answer
 * @returns {CallOffer}
 */
function callOffer(answer) {
  const { incoming, line_label } = answer;
  check(typeof incoming === 'object' && incoming !== null && typeof line_label === 'string',
    'the answer to "call" has incoming and line_label');
  return /** @type {CallOffer} */ (answer);
}

const url = process.env.E2E_URL;
const email = process.env.E2E_EMAIL;
const password = process.env.E2E_PASSWORD;
const shots = process.env.E2E_ARTIFACTS || '.';
const T = 10_000;
if (!url || !email || !password) throw new Error('E2E_URL, E2E_EMAIL and E2E_PASSWORD must be set');

/**
 * @param {unknown} cond
 * @param {string} what
 * @returns {asserts cond}
 */
function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
  ],
});
/** @type {string[]} */
const problems = [];
/** @type {Page | undefined} the page, for the failure's screenshot */
let current;
try {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'pt-BR' });
  await context.grantPermissions(['microphone', 'notifications'], { origin: url });
  const page = await context.newPage();
  current = page;
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) problems.push('CSP: ' + m.text());
  });
  /** @param {string} name */
  const shot = (name) => page.screenshot({ path: path.join(shots, name + '.png'), fullPage: true });
  // page.evaluate() runs its function in the page, where window.__fakeVoice is.
  /** @param {string} op what the app called (window.__fakeVoice.calls) */
  const log = (op) => page.evaluate((o) => window.__fakeVoice.calls(o), op);

  // ---- login
  await page.goto(url + '/', { waitUntil: 'load' });
  await page.getByRole('heading', { name: 'Entrar' }).waitFor({ timeout: T });
  await shot('01-login');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Senha').fill('wrong password');
  await page.getByRole('button', { name: 'Entrar' }).click();
  await page.getByTestId('login-error').filter({ hasText: 'incorretos' }).waitFor({ timeout: T });
  await page.getByLabel('Senha').fill(password);
  await page.getByRole('button', { name: 'Entrar' }).click();

  // ---- the phone registers (GET /token → new Device → register)
  await page.locator('[data-testid=device-state][data-state=ready]').waitFor({ timeout: T });
  const created = await log('device.new');
  check(created.length === 1 && typeof created[0][0] === 'string' && created[0][0].split('.').length === 3,
    'Device constructed once with the JWT from /token');
  check((await log('device.register')).length === 1, 'device.register() called');

  // ---- status: Available (PUT /api/agents/me/status; the server agrees)
  await page.getByLabel('Disponível').click(); // a controlled radio: checked once the server agrees
  await page.locator('.pill.on.st-available').waitFor({ timeout: T });
  await page.getByTestId('events-down').waitFor({ state: 'detached', timeout: T });
  await shot('02-phone');

  // ---- a caller dials the agent's own number: the test plays Twilio's
  // inbound webhook and hands over the agent's leg as the SDK would see it
  // (CallSid, From and the <Parameter>s of the server's <Client>).
  const offer = callOffer(await ask('call'));
  const sid = await page.evaluate((o) => window.__fakeVoice.incoming(o), offer.incoming);
  const popup = page.getByRole('alertdialog');
  await popup.waitFor({ timeout: T });
  check((await page.getByTestId('incoming-caller').innerText()) === '+55 (11) 98765-4321', 'popup caller');
  check((await page.getByTestId('incoming-line').innerText()) === offer.line_label, 'popup line');
  check((await page.getByTestId('incoming-reason').innerText()) === 'Seu número direto', 'popup reason');
  check(await page.getByRole('button', { name: 'Atender' }).evaluate((b) => b === document.activeElement), 'Atender has focus');
  await shot('03-incoming');
  await page.getByRole('button', { name: 'Atender' }).click();
  await page.getByTestId('incall').waitFor({ timeout: T });
  check(JSON.stringify(await log('call.accept')) === JSON.stringify([[sid]]), 'call.accept() on the incoming call');
  await ask('answered', { sid });

  // ---- mute
  await page.getByRole('button', { name: 'Silenciar' }).click();
  await page.locator('[data-testid=incall][data-muted="1"]').waitFor({ timeout: T });
  check(JSON.stringify(await log('call.mute')) === '[[true]]', 'call.mute(true)');

  // ---- hold / unhold (POST /api/calls/{sid}/hold|unhold)
  await page.getByRole('button', { name: 'Espera' }).click();
  await page.locator('[data-testid=incall][data-hold=on]').waitFor({ timeout: T });
  await ask('held', { sid });
  await shot('04-hold');
  await page.getByRole('button', { name: 'Retomar' }).click();
  await page.locator('[data-testid=incall][data-hold=off]').waitFor({ timeout: T });
  await ask('unheld', { sid });

  // ---- DTMF and the timer
  await page.getByRole('button', { name: 'Teclado' }).click();
  await page.getByTestId('dtmf').getByRole('button', { name: '5' }).click();
  check(JSON.stringify(await log('call.sendDigits')) === '[["5"]]', 'sendDigits("5")');
  await page.getByTestId('timer').filter({ hasText: /^0:0[1-9]$/ }).waitFor({ timeout: T });
  await shot('05-in-call');

  // ---- hang up
  await page.getByRole('button', { name: 'Desligar' }).click();
  await page.getByTestId('dial-input').waitFor({ timeout: T });
  check((await log('call.disconnect')).length === 1, 'call.disconnect()');

  // ---- the status changed elsewhere (another tab) arrives live (SSE)
  await ask('busy-elsewhere');
  await page.locator('.pill.on.st-busy').waitFor({ timeout: T });

  // ---- a second call, declined with Escape
  const sid2 = await page.evaluate(() => window.__fakeVoice.incoming({ From: '+5521999990000' }));
  await popup.waitFor({ timeout: T });
  check((await page.getByTestId('incoming-caller').innerText()) === '+55 (21) 99999-0000', 'caller from From');
  await page.keyboard.press('Escape');
  await popup.waitFor({ state: 'detached', timeout: T });
  check(JSON.stringify(await log('call.reject')) === JSON.stringify([[sid2]]), 'Escape → call.reject()');

  // ---- the caller hangs up while it rings: missed
  await page.evaluate(() => window.__fakeVoice.incoming({ From: '+5521999990001' }));
  await popup.waitFor({ timeout: T });
  await page.evaluate(() => window.__fakeVoice.remoteCancel());
  await popup.waitFor({ state: 'detached', timeout: T });
  await page.getByTestId('call-error').filter({ hasText: 'perdida' }).waitFor({ timeout: T });

  // ---- outbound: invalid, then a Brazilian number typed the usual way
  await page.getByTestId('dial-input').fill('123');
  await page.getByRole('button', { name: 'Ligar' }).click();
  await page.getByTestId('dial-error').waitFor({ timeout: T });
  check((await log('device.connect')).length === 0, 'no connect for an invalid number');
  await page.getByTestId('dial-input').fill('(11) 98765-43');
  await page.getByRole('group', { name: 'Teclado' }).getByRole('button', { name: '2' }).click();
  await page.getByRole('group', { name: 'Teclado' }).getByRole('button', { name: '1' }).click();
  await page.getByTestId('dial-input').press('Enter');
  await page.getByTestId('incall').waitFor({ timeout: T });
  check(JSON.stringify(await log('device.connect')) === JSON.stringify([[{ params: { To: '+5511987654321' } }]]),
    'device.connect({params: {To: "+5511987654321"}})');
  await page.evaluate(() => window.__fakeVoice.answerOutbound('CA0000000000000000000000000000out1'));
  await page.getByRole('heading', { name: 'Em chamada' }).waitFor({ timeout: T });
  await shot('06-outbound');
  await page.evaluate(() => window.__fakeVoice.remoteHangup());
  await page.getByTestId('dial-input').waitFor({ timeout: T });

  // ---- token refresh, unregistration, network
  await page.evaluate(() => window.__fakeVoice.tokenWillExpire());
  await page.waitForFunction(() => window.__fakeVoice.calls('device.updateToken').length === 1, null, { timeout: T });
  await page.evaluate(() => window.__fakeVoice.dropRegistration());
  await page.locator('[data-testid=device-state][data-state=unregistered]').waitFor({ timeout: T });
  await context.setOffline(true);
  await page.getByTestId('net-offline').waitFor({ timeout: T });
  await shot('07-offline');
  await context.setOffline(false);
  await page.getByTestId('net-offline').waitFor({ state: 'detached', timeout: T });
  await page.getByRole('button', { name: 'Tentar novamente' }).click();
  await page.locator('[data-testid=device-state][data-state=ready]').waitFor({ timeout: T });

  // ---- English, kept across a reload (the session cookie keeps us in)
  await page.getByTestId('lang').selectOption('en');
  await page.getByRole('heading', { name: 'Dial' }).waitFor({ timeout: T });
  await page.reload({ waitUntil: 'load' });
  await page.getByRole('heading', { name: 'Dial' }).waitFor({ timeout: T });
  await page.locator('[data-testid=device-state][data-state=ready]').waitFor({ timeout: T });
  await shot('08-english');

  check(problems.length === 0, problems.join('; '));
  const all = await page.evaluate(() => window.__fakeVoice.log.map((e) => e.op));
  console.log(JSON.stringify({ ok: true, ops: all }));
} catch (e) {
  if (current) await current.screenshot({ path: path.join(shots, 'failure.png'), fullPage: true }).catch(() => {});
  console.error(e instanceof Error && e.stack ? e.stack : String(e));
  if (problems.length) console.error(problems.join('\n'));
  process.exitCode = 1;
} finally {
  await browser.close();
  lines.close(); // stdin would keep node alive
}
