import { useState } from 'react';
import type { ViewProps } from '../components/props';
import { t, tMsg } from '../phone/i18n';

/* The sign-in screen: e-mail and password. */
export function SignIn({ s, ctl, lang }: ViewProps) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  return (
    <main>
      <form
        className="card login"
        onSubmit={(e) => {
          e.preventDefault();
          ctl.dispatch({ type: 'login.submit', email, password });
        }}
      >
        <h2>{t(lang, 'login.title')}</h2>
        <label>
          {t(lang, 'login.email')}
          <input type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          {t(lang, 'login.password')}
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <button type="submit" className="primary" disabled={s.loginPending}>
          {s.loginPending ? t(lang, 'login.pending') : t(lang, 'login.submit')}
        </button>
        <p className="error" role="alert" data-testid="login-error">
          {s.loginError ? tMsg(lang, s.loginError) : ''}
        </p>
      </form>
    </main>
  );
}
