import { AgentList } from '../components/AgentList';
import { AlertRules } from '../components/AlertRules';
import { Banners } from '../components/Banners';
import { Callbacks } from '../components/Callbacks';
import { Dialer } from '../components/Dialer';
import { InCall } from '../components/InCall';
import { IncomingCall } from '../components/IncomingCall';
import type { ViewProps } from '../components/props';
import { StatusSelector } from '../components/StatusSelector';
import { tMsg } from '../phone/i18n';

/* The signed-in screen: who and status, banners, the incoming-call popup,
 * the call in progress or the dialer, the callback list, and (supervisors)
 * the agents. */
export function Phone({ s, ctl, lang }: ViewProps) {
  return (
    <main className="phone">
      <section className="card who">
        <div className="name">{s.user?.name}</div>
        <div className="muted">{s.user?.email}</div>
        <StatusSelector s={s} ctl={ctl} lang={lang} />
      </section>
      <Banners s={s} ctl={ctl} lang={lang} />
      {s.call === 'ringing' && s.current && <IncomingCall s={s} ctl={ctl} lang={lang} />}
      {(s.call === 'in-call' || s.call === 'dialing') && s.current && <InCall s={s} ctl={ctl} lang={lang} />}
      {s.callError && (
        <p className="error card" role="alert" data-testid="call-error">
          {tMsg(lang, s.callError)}
        </p>
      )}
      {s.call === 'idle' && <Dialer s={s} ctl={ctl} lang={lang} />}
      <Callbacks s={s} ctl={ctl} lang={lang} />
      {s.user && s.user.role !== 'agent' && <AgentList s={s} lang={lang} />}
      {s.user && s.user.role === 'admin' && <AlertRules ctl={ctl} lang={lang} />}
    </main>
  );
}
