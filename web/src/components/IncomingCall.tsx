import { useEffect, useRef } from 'react';
import { formatPhone } from '../phone/format';
import { t, type Key } from '../phone/i18n';
import type { ViewProps } from './props';

/* The incoming-call popup: caller, line, reason; Atender has the focus,
 * Enter answers and Escape rejects. */
export function IncomingCall({ s, ctl, lang }: ViewProps) {
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
