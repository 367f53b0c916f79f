import { useEffect, useState } from 'react';
import { formatDuration, formatPhone } from '../phone/format';
import { t, type Key } from '../phone/i18n';
import { KEYS } from './keys';
import type { ViewProps } from './props';

/* Date.now(), every half second while active. */
function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const id = window.setInterval(() => setNow(Date.now()), 500);
    return () => window.clearInterval(id);
  }, [active]);
  return now;
}

/* A call being dialled or in progress: peer, timer, mute, hold, DTMF
 * keypad, hang up. */
export function InCall({ s, ctl, lang }: ViewProps) {
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
