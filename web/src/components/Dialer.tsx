import { useState } from 'react';
import { t } from '../phone/i18n';
import { KEYS } from './keys';
import type { ViewProps } from './props';

/* The dialer: a number typed or keyed in, Ligar, backspace. */
export function Dialer({ s, ctl, lang }: ViewProps) {
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
