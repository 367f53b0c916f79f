/*
 * The cross-origin test page (tests/py/web/test_cross_origin.py): what a
 * Lovable app does, with the typed client as tsc builds it
 * (clients/ts/dist, served here at ./client/).  Each step shows its
 * outcome in #steps (data-step, data-state ok|error|pending, data-status
 * for an ApiError); records of the live events go to #events.
 */
import { ApiError, LiveEvents, RamalClient, webStorageStore } from './client/index.js';

const byId = (id) => document.getElementById(id);
byId('api').value = new URLSearchParams(location.search).get('api') ?? '';

function show(step, state, text, status) {
  let li = document.querySelector(`#steps li[data-step="${step}"]`);
  if (!li) {
    li = document.createElement('li');
    li.dataset.step = step;
    byId('steps').append(li);
  }
  li.dataset.state = state;
  if (status !== undefined) li.dataset.status = String(status);
  li.textContent = `${step}: ${text}`;
}

/* Run one step; false when it failed (the next ones are not tried). */
async function run(step, fn) {
  show(step, 'pending', '…');
  try {
    show(step, 'ok', await fn());
    return true;
  } catch (e) {
    if (e instanceof ApiError) show(step, 'error', `HTTP ${e.status} (${e.kind}): ${e.message}`, e.status);
    else show(step, 'error', String(e));
    return false;
  }
}

function record(type, text, id) {
  const li = document.createElement('li');
  li.dataset.event = type;
  li.dataset.id = id ?? '';
  li.textContent = `#${id ?? '?'} ${type}: ${text}`;
  byId('events').append(li);
}

let live = null;

byId('signin').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  live?.stop();
  byId('steps').textContent = '';
  byId('events').textContent = '';
  const ramal = new RamalClient({ baseUrl: byId('api').value, store: webStorageStore(sessionStorage) });
  const email = byId('email').value;
  const password = byId('password').value;

  const ok =
    (await run('login', async () => {
      const r = await ramal.login(email, password);
      return `${r.user.name} <${r.user.identity}>, Bearer session until ${r.expires_at}`;
    })) &&
    (await run('token', async () => {
      const t = await ramal.token();
      return `Voice token for ${t.identity} (a ${t.token.split('.').length}-part JWT) until ${t.expires_at}`;
    })) &&
    (await run('status', async () => `now ${(await ramal.setStatus('available')).status}`));
  if (!ok) return;

  show('ticket', 'pending', '…'); // POST /api/events/ticket, on the way to the stream
  await run(
    'events',
    () =>
      new Promise((resolve, reject) => {
        live = new LiveEvents({
          endpoint: {
            // RamalClient.eventsUrl, with the ticket's arrival shown.
            async eventsUrl(last) {
              const url = await ramal.eventsUrl(last);
              const ticket = new URL(url).searchParams.get('ticket') ?? '';
              show('ticket', ticket ? 'ok' : 'error', `single-use ticket of ${ticket.length} characters`);
              return url;
            },
          },
        });
        live
          .on('status', (d, id) => record('status', d.status, id))
          .on('session.ended', (d, id) => record('session.ended', d.reason, id))
          .onState((state, detail) => {
            byId('live').textContent = state;
            if (state === 'open') resolve('stream open');
            else if (state === 'stopped') reject(detail.error ?? new Error('stopped'));
          });
        live.start();
      }),
  );
});
