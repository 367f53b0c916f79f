import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { DesktopNotifier, WebAudioRinger, micCheck } from './browser';
import { api, csrfFromCookie } from './phone/api';
import { Controller } from './phone/controller';
import { loadLang, saveLang, type Lang } from './phone/i18n';
import { createDevice } from './phone/voice';
import './styles.css';

let lang: Lang = loadLang(window.localStorage);
const ringer = new WebAudioRinger();
const notifier = new DesktopNotifier(() => lang);

const ctl = new Controller({
  api,
  createDevice,
  micCheck,
  ringer,
  notifier,
  openEvents: (url) => new EventSource(url, { withCredentials: true }),
  now: () => Date.now(),
  setTimeout: (fn, ms) => window.setTimeout(fn, ms),
  clearTimeout: (h) => window.clearTimeout(h as number),
});

window.addEventListener('online', () => ctl.dispatch({ type: 'net.online' }));
window.addEventListener('offline', () => ctl.dispatch({ type: 'net.offline' }));
if (!navigator.onLine) ctl.dispatch({ type: 'net.offline' });

/* A page reload keeps the session cookie: pick the session up again. */
api.me().then(
  (user) => ctl.dispatch({ type: 'session.restored', user, csrf: csrfFromCookie(document.cookie) ?? '' }),
  () => undefined,
);

function gesture(): void {
  ringer.unlock();
  if (ctl.state.screen === 'phone') notifier.askOnce();
}

function Root() {
  const [l, setL] = useState<Lang>(lang);
  return (
    <App
      ctl={ctl}
      lang={l}
      setLang={(v) => {
        lang = v;
        saveLang(window.localStorage, v);
        setL(v);
      }}
      gesture={gesture}
    />
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
