import { t, tMsg, type Key } from '../phone/i18n';
import type { SettableStatus } from '../phone/machine';
import type { ViewProps } from './props';

const STATUSES: SettableStatus[] = ['available', 'busy', 'offline'];

/* The agent's status: radios that move once the server agrees, wrap-up
 * shown when TaskRouter set it, "saving" and a refusal's message. */
export function StatusSelector({ s, ctl, lang }: ViewProps) {
  return (
    <>
      <fieldset className="status" data-testid="status">
        <legend>{t(lang, 'status.label')}</legend>
        {STATUSES.map((st) => (
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
        {s.status === 'wrapup' && (
          <button
            type="button"
            data-testid="wrapup-end"
            disabled={!!s.statusPending}
            onClick={() => ctl.dispatch({ type: 'wrapup.end' })}
          >
            {t(lang, 'status.wrapupEnd')}
          </button>
        )}
      </fieldset>
      <p className="muted small" aria-live="polite">
        {s.statusPending ? t(lang, 'status.saving') : ''}
      </p>
      {s.statusError && (
        <p className="error" role="alert" data-testid="status-error">
          {tMsg(lang, s.statusError)}
        </p>
      )}
    </>
  );
}
