import { useCallback, useEffect, useState } from 'react';
import type { Callback, CallbacksReply } from '@ramal/client';
import { formatPhone } from '../phone/format';
import { t, type Key } from '../phone/i18n';
import type { ViewProps } from './props';

const REFRESH_MS = 15_000;

/* "23/11 14:32" in the browser's time zone. */
function when(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getDate())}/${p(d.getMonth() + 1)} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/* The callback a Slack "Ligar de volta" link named (?callback=<id>). */
function linked(): number | null {
  if (typeof window === 'undefined') return null;
  const v = new URLSearchParams(window.location.search).get('callback');
  return v && /^\d{1,15}$/.test(v) ? Number(v) : null;
}

/*
 * The callback list (docs/alerts.md): callers who gave up in the queue,
 * missed their dedicated agent or left a voicemail.  "Pegar o próximo"
 * takes the oldest one; the agent calls it back with one click through
 * the usual outbound call (the server shows the caller the line they had
 * called), then closes it with the result.
 */
export function Callbacks({ s, ctl, lang }: ViewProps) {
  const [data, setData] = useState<CallbacksReply | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const focus = linked();
  const me = s.user?.id;

  const refresh = useCallback(() => {
    ctl.callbacks().then(
      (r) => setData(r),
      () => setNote('cb.error'),
    );
  }, [ctl]);

  useEffect(() => {
    refresh();
    const id = window.setInterval(refresh, REFRESH_MS);
    return () => window.clearInterval(id);
  }, [refresh]);
  // back from a call: the list may have changed (a caller called again)
  useEffect(() => {
    if (s.call === 'idle') refresh();
  }, [s.call, refresh]);

  const act = (p: Promise<unknown>, failed: Key) => {
    setBusy(true);
    setNote(null);
    p.then(
      () => refresh(),
      (err: unknown) => setNote(err instanceof Error && /waiting/.test(err.message) ? 'cb.nonext' : failed),
    ).finally(() => setBusy(false));
  };

  const mine = (c: Callback) => c.state === 'in-progress' && c.assigned_to?.id === me;
  const list = data?.callbacks ?? [];
  return (
    <section className="card callbacks" data-testid="callbacks">
      <h2>{t(lang, 'cb.title')}</h2>
      {data && (
        <p className="muted" data-testid="callbacks-count">
          {t(lang, 'cb.open')}: <strong>{data.open}</strong>
          {data.oldest_open_at ? ` · ${t(lang, 'cb.oldest')}: ${when(data.oldest_open_at)}` : ''}
        </p>
      )}
      <button type="button" disabled={busy} onClick={() => act(ctl.nextCallback(), 'cb.error')}>
        {t(lang, 'cb.next')}
      </button>
      {note && (
        <p className="error" role="alert" data-testid="callbacks-note">
          {t(lang, note)}
        </p>
      )}
      {data && list.length === 0 && <p className="muted">{t(lang, 'cb.none')}</p>}
      <ul>
        {list.map((c) => (
          <li
            key={c.id}
            data-testid="callback"
            data-id={c.id}
            data-state={c.state}
            className={(mine(c) ? 'mine' : '') + (focus === c.id ? ' focus' : '')}
          >
            <div>
              <strong data-testid="callback-caller">{formatPhone(c.caller)}</strong>
              {c.line ? <span className="muted"> · {c.line}</span> : null}
            </div>
            <div className="muted">
              {t(lang, ('cb.reason.' + c.reason) as Key)} · {when(c.created_at)}
              {c.missed_calls > 1 ? ` · ${c.missed_calls} ${t(lang, 'cb.missed')}` : ''}
              {mine(c) ? ` · ${t(lang, 'cb.mine')}` : c.assigned_to ? ` · ${c.assigned_to.name}` : ''}
            </div>
            {mine(c) && (
              <div className="row">
                <button
                  type="button"
                  className="primary"
                  disabled={s.call !== 'idle' || s.device !== 'ready'}
                  onClick={() => ctl.dispatch({ type: 'dial', input: c.caller, callback: c.id })}
                >
                  {t(lang, 'cb.call')}
                </button>
                <button type="button" disabled={busy || s.call !== 'idle'} onClick={() => act(ctl.closeCallback(c.id, 'done'), 'cb.error')}>
                  {t(lang, 'cb.done')}
                </button>
                <button
                  type="button"
                  disabled={busy || s.call !== 'idle'}
                  onClick={() => act(ctl.closeCallback(c.id, 'no-answer'), 'cb.error')}
                >
                  {t(lang, 'cb.noanswer')}
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
