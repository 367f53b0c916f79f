import type { Controller } from '../phone/controller';
import { LANGS, t, type Lang } from '../phone/i18n';
import type { State } from '../phone/machine';

/* The header: the name, the language choice, and "Sair" once signed in. */
export function TopBar({ s, ctl, lang, setLang }: { s: State; ctl: Controller; lang: Lang; setLang(l: Lang): void }) {
  return (
    <header className="top">
      <h1>Ramal</h1>
      <label className="lang">
        <span>{t(lang, 'lang.label')}</span>
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
          {t(lang, 'logout')}
        </button>
      )}
    </header>
  );
}
