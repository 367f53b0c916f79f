import { t, tMsg, type Key } from '../phone/i18n';
import type { ViewProps } from './props';

/* The phone's state (with a retry), no network, live updates down. */
export function Banners({ s, ctl, lang }: ViewProps) {
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
