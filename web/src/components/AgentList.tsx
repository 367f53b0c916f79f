import { t, type Key } from '../phone/i18n';
import type { ViewProps } from './props';

/* Supervisors and admins: the queue size and every agent's status. */
export function AgentList({ s, lang }: Pick<ViewProps, 's' | 'lang'>) {
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
