import { useEffect, useSyncExternalStore } from 'react';
import { TopBar } from './components/TopBar';
import type { Controller } from './phone/controller';
import { t, type Lang } from './phone/i18n';
import { Phone } from './screens/Phone';
import { SignIn } from './screens/SignIn';

interface Props {
  ctl: Controller;
  lang: Lang;
  setLang(l: Lang): void;
  gesture(): void; // a user gesture happened: unlock audio, ask notifications once
}

/* The page: the header and the screen the state is on (sign-in or phone);
 * the parts are in screens/ and components/. */
export function App({ ctl, lang, setLang, gesture }: Props) {
  const s = useSyncExternalStore(ctl.subscribe, ctl.getState);
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = t(lang, 'app.title');
  }, [lang]);

  return (
    <div className="app" onPointerDown={gesture} onKeyDown={gesture}>
      <TopBar s={s} ctl={ctl} lang={lang} setLang={setLang} />
      {s.screen === 'login' ? <SignIn s={s} ctl={ctl} lang={lang} /> : <Phone s={s} ctl={ctl} lang={lang} />}
    </div>
  );
}
