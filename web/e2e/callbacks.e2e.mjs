// @ts-check
// End-to-end run of the callback list (docs/alerts.md) in headless Debian
// Chromium, against a real ramal with one caller owed a call back.  Driven
// by tests/py/web/test_callbacks_e2e.py, which passes E2E_URL, E2E_EMAIL,
// E2E_PASSWORD, E2E_ARTIFACTS, CHROMIUM and E2E_CALLER (the caller's
// E.164), and plays Twilio's side when asked (one JSON line each way, as
// in softphone.e2e.mjs): {"need": "outbound", "params": {...}} is the
// TwiML App's webhook of the softphone's call back; {"need": "closed"}
// checks the callback's row; then an admin (E2E_ADMIN_EMAIL) changes the
// alert rules and {"need": "rules"} checks what was stored.
import { chromium } from 'playwright-core';
import path from 'node:path';
import readline from 'node:readline';

/** @typedef {import('playwright-core').Page} Page */

const lines = readline.createInterface({ input: process.stdin });
const input = lines[Symbol.asyncIterator]();
/**
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
 * @param {unknown} cond
 * @param {string} what
 * @returns {asserts cond}
 */
function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
}

const url = process.env.E2E_URL;
const email = process.env.E2E_EMAIL;
const password = process.env.E2E_PASSWORD;
const caller = process.env.E2E_CALLER;
const adminEmail = process.env.E2E_ADMIN_EMAIL || '';
const shots = process.env.E2E_ARTIFACTS || '.';
const T = 10_000;
if (!url || !email || !password || !caller) throw new Error('E2E_URL, E2E_EMAIL, E2E_PASSWORD and E2E_CALLER must be set');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
});
/** @type {string[]} */
const problems = [];
/** @type {Page | undefined} */
let current;
try {
  const context = await browser.newContext({ viewport: { width: 360, height: 900 }, locale: 'pt-BR' });
  await context.grantPermissions(['microphone', 'notifications'], { origin: url });
  const page = await context.newPage();
  current = page;
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  /** @param {string} name */
  const shot = (name) => page.screenshot({ path: path.join(shots, name + '.png'), fullPage: true });
  /** @param {string} op */
  const log = (op) => page.evaluate((o) => window.__fakeVoice.calls(o), op);

  // The link of a Slack alert opens the softphone on the callback.
  await page.goto(url + '/?callback=1', { waitUntil: 'load' });
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Senha').fill(password);
  await page.getByRole('button', { name: 'Entrar' }).click();
  await page.locator('[data-testid=device-state][data-state=ready]').waitFor({ timeout: T });

  // ---- the list: one caller, with the line and why
  const panel = page.getByTestId('callbacks');
  await panel.getByRole('heading', { name: 'Retornos' }).waitFor({ timeout: T });
  const item = panel.getByTestId('callback');
  await item.first().waitFor({ timeout: T });
  check((await item.count()) === 1, 'one callback listed');
  const text = await item.first().innerText();
  const shown = caller.replace(/^\+55(\d\d)(\d{5})(\d{4})$/, '+55 ($1) $2-$3');
  check(text.includes(shown) && text.includes('Suporte') && text.includes('Desistiu na fila'),
    'the caller, the line and the reason: ' + text);
  check((await page.getByTestId('callbacks-count').innerText()).includes('Abertos: 1'), 'the open count');
  await shot('01-callbacks');

  // ---- take it, call back with one click
  await panel.getByRole('button', { name: 'Pegar o próximo' }).click();
  await panel.locator('[data-testid=callback][data-state=in-progress].mine').waitFor({ timeout: T });
  await panel.getByRole('button', { name: 'Ligar de volta' }).click();
  await page.getByTestId('incall').waitFor({ timeout: T });
  const connects = await log('device.connect');
  check(connects.length === 1, 'one device.connect');
  const opts = /** @type {{ params: Record<string, string> }} */ (connects[0][0]);
  const id = await item.first().getAttribute('data-id');
  check(opts.params.To === caller && opts.params.Callback === id,
    'device.connect({params: {To: caller, Callback: id}}): ' + JSON.stringify(opts));
  // Twilio asks the TwiML App's Voice URL with those params
  await ask('outbound', { params: opts.params });
  await page.evaluate(() => window.__fakeVoice.answerOutbound('CA0000000000000000000000000000cb01'));
  await page.getByRole('heading', { name: 'Em chamada' }).waitFor({ timeout: T });
  await shot('02-calling-back');
  await page.evaluate(() => window.__fakeVoice.remoteHangup());
  await page.getByTestId('dial-input').waitFor({ timeout: T });

  // ---- the caller answered: closed, and the list is empty
  await panel.getByRole('button', { name: 'Atendeu', exact: true }).click();
  await panel.getByText('Ninguém esperando retorno.').waitFor({ timeout: T });
  check((await page.getByTestId('callbacks-count').innerText()).includes('Abertos: 0'), 'nothing open');
  await ask('closed', { id });
  // nothing left to take
  await panel.getByRole('button', { name: 'Pegar o próximo' }).click();
  await page.getByTestId('callbacks-note').filter({ hasText: 'Nenhum retorno esperando' }).waitFor({ timeout: T });
  await shot('03-done');

  // ---- an admin sets the alert rules: voicemails to WhatsApp too, quiet hours
  await page.getByRole('button', { name: 'Sair' }).click();
  await page.getByLabel('E-mail').fill(adminEmail);
  await page.getByLabel('Senha').fill(password);
  await page.getByRole('button', { name: 'Entrar' }).click();
  const rules = page.getByTestId('alert-rules');
  await rules.getByRole('heading', { name: 'Alertas' }).waitFor({ timeout: T });
  check(await rules.getByLabel('Recado: Slack').isChecked(), 'voicemails go to Slack by default');
  check(!(await rules.getByLabel('Recado: WhatsApp').isChecked()), 'not to WhatsApp by default');
  await rules.getByLabel('Recado: WhatsApp').check();
  await rules.getByLabel('Abandono na fila: Intervalo (s)').fill('120');
  await rules.getByText('Horário silencioso').click();
  await rules.getByLabel('Das').fill('22:30');
  await rules.getByLabel('às').fill('06:45');
  await rules.getByRole('button', { name: 'Salvar alertas' }).click();
  await page.getByTestId('rules-note').filter({ hasText: 'Alertas salvos.' }).waitFor({ timeout: T });
  await shot('04-alert-rules');
  await ask('rules');

  check(problems.length === 0, problems.join('; '));
  console.log(JSON.stringify({ ok: true }));
} catch (e) {
  if (current) await current.screenshot({ path: path.join(shots, 'failure.png'), fullPage: true }).catch(() => {});
  console.error(e instanceof Error && e.stack ? e.stack : String(e));
  if (problems.length) console.error(problems.join('\n'));
  process.exitCode = 1;
} finally {
  await browser.close();
  lines.close();
}
