import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { Controller } from './phone/controller';
import type { SettableStatus, State } from './phone/machine';
import { LANGS, t, tMsg, type Key, type Lang } from './phone/i18n';
import { formatDuration, formatPhone } from './phone/format';

interface Props {
  ctl: Controller;
  lang: Lang;
  setLang(l: Lang): void;
  gesture(): void; // a user gesture happened: unlock audio, ask notifications once
}

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

export function App({ ctl, lang, setLang, gesture }: Props) {
  const s = useSyncExternalStore(ctl.subscribe, ctl.getState);
  const tr = useCallback((k: Key | string, v?: Record<string, string | number>) => t(lang, k, v), [lang]);
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = t(lang, 'app.title');
  }, [lang]);

  return (
    <div className="app" onPointerDown={gesture} onKeyDown={gesture}>
      <header className="top">
        <h1>Ramal</h1>
        <label className="lang">
          <span>{tr('lang.label')}</span>
          <select value={lang} onChange={(e) => setLang(e.target.value as Lang)} data-testid="lang">
            {LANGS.map((l) => (
              <option key={l} value={l}>
                {l === 'en' ? 'English' : 'Português'}
              </option>
            ))}
          </select>
        </label>
        {s.screen === 'phone' && (
          <button type="button" className="link" onClick={() => ctl.dispatch({ type: 'logout' })}>
            {tr('logout')}
          </button>
        )}
      </header>
      {s.screen === 'login' ? <Login s={s} ctl={ctl} lang={lang} /> : <Phone s={s} ctl={ctl} lang={lang} />}
    </div>
  );
}

function Login({ s, ctl, lang }: { s: State; ctl: Controller; lang: Lang }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  return (
    <main>
      <form
        className="card login"
        onSubmit={(e) => {
          e.preventDefault();
          ctl.dispatch({ type: 'login.submit', email, password });
        }}
      >
        <h2>{t(lang, 'login.title')}</h2>
        <label>
          {t(lang, 'login.email')}
          <input type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          {t(lang, 'login.password')}
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <button type="submit" className="primary" disabled={s.loginPending}>
          {s.loginPending ? t(lang, 'login.pending') : t(lang, 'login.submit')}
        </button>
        <p className="error" role="alert" data-testid="login-error">
          {s.loginError ? tMsg(lang, s.loginError) : ''}
        </p>
      </form>
    </main>
  );
}

function Phone({ s, ctl, lang }: { s: State; ctl: Controller; lang: Lang }) {
  const statuses: SettableStatus[] = ['available', 'busy', 'offline'];
  return (
    <main className="phone">
      <section className="card who">
        <div className="name">{s.user?.name}</div>
        <div className="muted">{s.user?.email}</div>
        <fieldset className="status" data-testid="status">
          <legend>{t(lang, 'status.label')}</legend>
          {statuses.map((st) => (
            <label key={st} className={'pill st-' + st + (s.status === st ? ' on' : '')}>
              <input
                type="radio"
                name="status"
                value={st}
                checked={s.status === st}
                disabled={!!s.statusPending}
                onChange={() => ctl.dispatch({ type: 'status.choose', status: st })}
              />
              {t(lang, ('status.' + st) as Key)}
            </label>
          ))}
          {s.status === 'wrapup' && <span className="pill st-wrapup on">{t(lang, 'status.wrapup')}</span>}
        </fieldset>
        <p className="muted small" aria-live="polite">
          {s.statusPending ? t(lang, 'status.saving') : ''}
        </p>
        {s.statusError && (
          <p className="error" role="alert" data-testid="status-error">
            {tMsg(lang, s.statusError)}
          </p>
        )}
      </section>
      <Banners s={s} ctl={ctl} lang={lang} />
      {s.call === 'ringing' && s.current && <Incoming s={s} ctl={ctl} lang={lang} />}
      {(s.call === 'in-call' || s.call === 'dialing') && s.current && <InCall s={s} ctl={ctl} lang={lang} />}
      {s.callError && (
        <p className="error card" role="alert" data-testid="call-error">
          {tMsg(lang, s.callError)}
        </p>
      )}
      {s.call === 'idle' && <Dialer s={s} ctl={ctl} lang={lang} />}
      {s.user && s.user.role !== 'agent' && <Agents s={s} lang={lang} />}
    </main>
  );
}

function Banners({ s, ctl, lang }: { s: State; ctl: Controller; lang: Lang }) {
  const cls = s.device === 'ready' ? 'ok' : s.device === 'error' || s.device === 'unregistered' ? 'bad' : 'wait';
  return (
    <section className="banners">
      <div className={'banner ' + cls} role="status" aria-live="polite" data-testid="device-state" data-state={s.device}>
        {t(lang, ('device.' + s.device) as Key)}
        {s.deviceError && <div className="detail">{tMsg(lang, s.deviceError)}</div>}
        {(s.device === 'error' || s.device === 'unregistered') && (
          <button type="button" onClick={() => ctl.dispatch({ type: 'device.retry' })}>
            {t(lang, 'device.retry')}
          </button>
        )}
      </div>
      {!s.online && (
        <div className="banner bad" role="alert" data-testid="net-offline">
          {t(lang, 'net.offline')}
        </div>
      )}
      {s.events === 'down' && (
        <div className="banner wait" role="status" data-testid="events-down">
          {t(lang, 'events.down')}
        </div>
      )}
    </section>
  );
}

function Incoming({ s, ctl, lang }: { s: State; ctl: Controller; lang: Lang }) {
  const c = s.current!;
  const answer = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    answer.current?.focus();
  }, []);
  const reason = c.reason === 'dedicated' || c.reason === 'overflow' ? t(lang, ('reason.' + c.reason) as Key) : c.reason;
  return (
    <div className="overlay">
      <div
        className="card popup"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="incoming-title"
        data-testid="incoming"
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            ctl.dispatch({ type: 'call.decline' });
          } else if (e.key === 'Enter' && (e.target as HTMLElement).tagName !== 'BUTTON') {
            e.preventDefault();
            ctl.dispatch({ type: 'call.answer' });
          }
        }}
      >
        <h2 id="incoming-title">{t(lang, 'incoming.title')}</h2>
        <dl>
          <dt>{t(lang, 'incoming.from')}</dt>
          <dd data-testid="incoming-caller">{formatPhone(c.peer) || '—'}</dd>
          {c.line && (
            <>
              <dt>{t(lang, 'incoming.line')}</dt>
              <dd data-testid="incoming-line">{formatPhone(c.line)}</dd>
            </>
          )}
          {reason && (
            <>
              <dt>{t(lang, 'incoming.reason')}</dt>
              <dd data-testid="incoming-reason">{reason}</dd>
            </>
          )}
        </dl>
        <div className="row">
          <button ref={answer} type="button" className="primary answer" onClick={() => ctl.dispatch({ type: 'call.answer' })}>
            {t(lang, 'call.answer')}
          </button>
          <button type="button" className="danger" onClick={() => ctl.dispatch({ type: 'call.decline' })}>
            {t(lang, 'call.reject')}
          </button>
        </div>
      </div>
    </div>
  );
}

function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const id = window.setInterval(() => setNow(Date.now()), 500);
    return () => window.clearInterval(id);
  }, [active]);
  return now;
}

function InCall({ s, ctl, lang }: { s: State; ctl: Controller; lang: Lang }) {
  const c = s.current!;
  const [pad, setPad] = useState(false);
  const now = useNow(s.call === 'in-call');
  const secs = c.startedAt ? (now - c.startedAt) / 1000 : 0;
  const holdLabel =
    c.hold === 'holding' ? 'call.holding' : c.hold === 'resuming' ? 'call.resuming' : c.hold === 'on' ? 'call.unhold' : 'call.hold';
  return (
    <section className="card incall" data-testid="incall" data-hold={c.hold} data-muted={c.muted ? '1' : '0'}>
      <h2 aria-live="polite">
        {s.call === 'dialing' ? t(lang, 'call.dialing') : c.hold === 'on' ? t(lang, 'call.onhold') : t(lang, 'call.active')}
      </h2>
      <div className="peer" data-testid="incall-peer">
        {formatPhone(c.peer)}
      </div>
      <div className="timer" data-testid="timer" aria-label={t(lang, 'call.duration')}>
        {formatDuration(secs)}
      </div>
      <div className="row wrap">
        <button type="button" aria-pressed={c.muted} disabled={s.call !== 'in-call'} onClick={() => ctl.dispatch({ type: 'mute.toggle' })}>
          {c.muted ? t(lang, 'call.unmute') : t(lang, 'call.mute')}
        </button>
        <button
          type="button"
          aria-pressed={c.hold === 'on'}
          disabled={s.call !== 'in-call' || c.hold === 'holding' || c.hold === 'resuming'}
          onClick={() => ctl.dispatch({ type: 'hold.toggle' })}
        >
          {t(lang, holdLabel as Key)}
        </button>
        <button type="button" aria-expanded={pad} disabled={s.call !== 'in-call'} onClick={() => setPad(!pad)}>
          {t(lang, 'call.keypad')}
        </button>
        <button type="button" className="danger" onClick={() => ctl.dispatch({ type: 'hangup' })}>
          {t(lang, 'call.hangup')}
        </button>
      </div>
      {pad && (
        <div className="keypad" role="group" aria-label={t(lang, 'call.keypad')} data-testid="dtmf">
          {KEYS.map((k) => (
            <button key={k} type="button" onClick={() => ctl.dispatch({ type: 'digits', digits: k })}>
              {k}
            </button>
          ))}
        </div>
      )}
    </section>
  );
}

function Dialer({ s, ctl, lang }: { s: State; ctl: Controller; lang: Lang }) {
  const [num, setNum] = useState('');
  return (
    <form
      className="card dialer"
      onSubmit={(e) => {
        e.preventDefault();
        ctl.dispatch({ type: 'dial', input: num });
      }}
    >
      <h2>{t(lang, 'dial.title')}</h2>
      <label>
        {t(lang, 'dial.number')}
        <input type="tel" name="number" inputMode="tel" autoComplete="off" value={num} onChange={(e) => setNum(e.target.value)} data-testid="dial-input" />
      </label>
      <div className="keypad" role="group" aria-label={t(lang, 'call.keypad')}>
        {KEYS.map((k) => (
          <button key={k} type="button" onClick={() => setNum(num + k)}>
            {k}
          </button>
        ))}
      </div>
      <div className="row">
        <button type="submit" className="primary" disabled={s.device !== 'ready'}>
          {t(lang, 'dial.call')}
        </button>
        <button type="button" onClick={() => setNum(num.slice(0, -1))} aria-label={t(lang, 'dial.clear')}>
          ⌫
        </button>
      </div>
      {s.dialError && (
        <p className="error" role="alert" data-testid="dial-error">
          {t(lang, s.dialError)}
        </p>
      )}
    </form>
  );
}

function Agents({ s, lang }: { s: State; lang: Lang }) {
  return (
    <section className="card agents" data-testid="agents">
      <h2>{t(lang, 'agents.title')}</h2>
      {s.queueSize !== null && (
        <p data-testid="queue-size">
          {t(lang, 'agents.queue')}: <strong>{s.queueSize}</strong>
        </p>
      )}
      <ul>
        {s.agents.map((a) => (
          <li key={a.id}>
            <span>{a.name}</span>
            <span className={'pill st-' + a.status}>
              {t(lang, ('status.' + a.status) as Key)}
              {a.on_call ? ' · ' + t(lang, 'agents.oncall') : ''}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
