import { useEffect, useState } from 'react';
import type { AlertRules as Rules, AlertRulesUpdate } from '@ramal/client';
import { t, type Key } from '../phone/i18n';
import type { ViewProps } from './props';

const EVENTS = ['abandoned', 'missed-dedicated', 'voicemail', 'failed', 'dead-job'] as const;
const CHANNELS = ['slack', 'whatsapp', 'webhook'] as const;
type Event = (typeof EVENTS)[number];
type Channel = (typeof CHANNELS)[number];

interface Draft {
  channels: Record<Event, Channel[]>;
  cooldown: Record<Event, string>;
  quiet: boolean;
  start: string;
  end: string;
  timezone: string;
  slack: string; // write-only: "" keeps the stored one
}

function draftOf(r: Rules): Draft {
  const channels = {} as Record<Event, Channel[]>;
  const cooldown = {} as Record<Event, string>;
  for (const e of EVENTS) {
    channels[e] = [...r.events[e].channels];
    cooldown[e] = String(r.events[e].cooldown_s);
  }
  return {
    channels,
    cooldown,
    quiet: r.quiet_hours !== null,
    start: r.quiet_hours?.start ?? '22:00',
    end: r.quiet_hours?.end ?? '07:00',
    timezone: r.timezone,
    slack: '',
  };
}

function bodyOf(d: Draft): AlertRulesUpdate {
  const events: NonNullable<AlertRulesUpdate['events']> = {};
  for (const e of EVENTS) events[e] = { channels: d.channels[e], cooldown_s: Number(d.cooldown[e]) || 0 };
  const body: AlertRulesUpdate = {
    events,
    quiet_hours: d.quiet ? { start: d.start, end: d.end } : null,
    timezone: d.timezone,
  };
  if (d.slack.trim()) body.slack_webhook_url = d.slack.trim();
  return body;
}

/*
 * Admins: the tenant's alert rules (docs/alerts.md): which events go to
 * which channel, the cooldown of each, quiet hours, and the tenant's own
 * Slack webhook (write-only).
 */
export function AlertRules({ ctl, lang }: Pick<ViewProps, 'ctl' | 'lang'>) {
  const [rules, setRules] = useState<Rules | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    ctl.alertRules().then(
      (r) => {
        setRules(r);
        setDraft(draftOf(r));
      },
      () => setNote({ ok: false, text: t(lang, 'rules.error') }),
    );
  }, [ctl, lang]);

  if (!draft || !rules) return null;
  const set = (d: Partial<Draft>) => setDraft({ ...draft, ...d });
  const toggle = (e: Event, c: Channel) => {
    const on = draft.channels[e].includes(c);
    set({ channels: { ...draft.channels, [e]: on ? draft.channels[e].filter((x) => x !== c) : [...draft.channels[e], c] } });
  };
  const save = () => {
    setSaving(true);
    setNote(null);
    ctl.saveAlertRules(bodyOf(draft)).then(
      (r) => {
        setRules(r);
        setDraft(draftOf(r));
        setNote({ ok: true, text: t(lang, 'rules.saved') });
      },
      (err: unknown) => setNote({ ok: false, text: err instanceof Error ? err.message : t(lang, 'rules.error') }),
    ).finally(() => setSaving(false));
  };
  return (
    <section className="card rules" data-testid="alert-rules">
      <h2>{t(lang, 'rules.title')}</h2>
      <table>
        <thead>
          <tr>
            <th />
            {CHANNELS.map((c) => (
              <th key={c}>
                {t(lang, ('rules.ch.' + c) as Key)}
                {rules.channels[c].configured ? '' : ' *'}
              </th>
            ))}
            <th>{t(lang, 'rules.cooldown')}</th>
          </tr>
        </thead>
        <tbody>
          {EVENTS.map((e) => (
            <tr key={e}>
              <th scope="row">{t(lang, ('rules.ev.' + e) as Key)}</th>
              {CHANNELS.map((c) => (
                <td key={c}>
                  <input
                    type="checkbox"
                    aria-label={`${t(lang, ('rules.ev.' + e) as Key)}: ${t(lang, ('rules.ch.' + c) as Key)}`}
                    checked={draft.channels[e].includes(c)}
                    onChange={() => toggle(e, c)}
                  />
                </td>
              ))}
              <td>
                <input
                  type="number"
                  min={0}
                  max={86400}
                  aria-label={`${t(lang, ('rules.ev.' + e) as Key)}: ${t(lang, 'rules.cooldown')}`}
                  value={draft.cooldown[e]}
                  onChange={(ev) => set({ cooldown: { ...draft.cooldown, [e]: ev.target.value } })}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">* {t(lang, 'rules.notconfigured')}</p>
      <label>
        <input type="checkbox" checked={draft.quiet} onChange={() => set({ quiet: !draft.quiet })} /> {t(lang, 'rules.quiet')}
      </label>
      {draft.quiet && (
        <div className="row">
          <label>
            {t(lang, 'rules.from')} <input type="time" value={draft.start} onChange={(e) => set({ start: e.target.value })} />
          </label>
          <label>
            {t(lang, 'rules.to')} <input type="time" value={draft.end} onChange={(e) => set({ end: e.target.value })} />
          </label>
        </div>
      )}
      <label>
        {t(lang, 'rules.timezone')} <input value={draft.timezone} onChange={(e) => set({ timezone: e.target.value })} />
      </label>
      <label>
        {t(lang, 'rules.slack')}
        <input
          type="url"
          autoComplete="off"
          placeholder={rules.channels.slack.source === 'tenant' ? t(lang, 'rules.slack.kept') : 'https://hooks.slack.com/services/…'}
          value={draft.slack}
          onChange={(e) => set({ slack: e.target.value })}
        />
      </label>
      <button type="button" className="primary" disabled={saving} onClick={save}>
        {t(lang, 'rules.save')}
      </button>
      {note && (
        <p className={note.ok ? 'muted' : 'error'} role={note.ok ? 'status' : 'alert'} data-testid="rules-note">
          {note.text}
        </p>
      )}
    </section>
  );
}
