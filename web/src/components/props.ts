import type { Controller } from '../phone/controller';
import type { Lang } from '../phone/i18n';
import type { State } from '../phone/machine';

/** What every part of a screen gets: the state to render, the controller
 * to dispatch user events to, the language. */
export interface ViewProps {
  s: State;
  ctl: Controller;
  lang: Lang;
}
