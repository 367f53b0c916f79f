/*
 * Browser adapters for the controller: microphone check, ringtone (Web
 * Audio, only once a user gesture unlocked audio), desktop notifications.
 */
import type { Notifier, Ringer } from './phone/controller';
import { t, type Lang } from './phone/i18n';
import { formatPhone } from './phone/format';

export async function micCheck(): Promise<'granted' | 'denied' | 'unsupported'> {
  const md = navigator.mediaDevices;
  if (!md || !md.getUserMedia) return 'unsupported';
  try {
    const stream = await md.getUserMedia({ audio: true });
    for (const tr of stream.getTracks()) tr.stop();
    return 'granted';
  } catch (err) {
    const name = (err as DOMException)?.name;
    return name === 'NotAllowedError' || name === 'SecurityError' ? 'denied' : 'unsupported';
  }
}

/* A two-tone ring from an oscillator: nothing to download, no autoplay
 * surprise.  unlock() must be called from a user gesture first. */
export class WebAudioRinger implements Ringer {
  private ctx: AudioContext | null = null;
  private timer: number | null = null;
  playing = false;

  unlock(): void {
    try {
      if (!this.ctx) this.ctx = new AudioContext();
      if (this.ctx.state === 'suspended') void this.ctx.resume();
    } catch {
      this.ctx = null;
    }
  }
  private burst(): void {
    const ctx = this.ctx;
    if (!ctx || ctx.state !== 'running') return;
    const gain = ctx.createGain();
    gain.gain.value = 0.08;
    gain.connect(ctx.destination);
    for (const [f, at] of [
      [440, 0],
      [480, 0],
    ] as const) {
      const o = ctx.createOscillator();
      o.frequency.value = f;
      o.connect(gain);
      o.start(ctx.currentTime + at);
      o.stop(ctx.currentTime + 1.2);
    }
  }
  start(): void {
    if (this.playing) return;
    if (!this.ctx || this.ctx.state !== 'running') return; // the notification has to do
    this.playing = true;
    this.burst();
    this.timer = window.setInterval(() => this.burst(), 3000);
  }
  stop(): void {
    this.playing = false;
    if (this.timer !== null) window.clearInterval(this.timer);
    this.timer = null;
  }
}

const ASKED_KEY = 'ramal.notify.asked';

export class DesktopNotifier implements Notifier {
  private current: Notification | null = null;
  constructor(private lang: () => Lang) {}

  /* Ask for permission once, from a user gesture. */
  askOnce(): void {
    if (typeof Notification === 'undefined' || Notification.permission !== 'default') return;
    try {
      if (localStorage.getItem(ASKED_KEY)) return;
      localStorage.setItem(ASKED_KEY, '1');
    } catch {
      /* ask anyway */
    }
    void Notification.requestPermission();
  }
  show(caller: string, line: string | null): void {
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
    this.close();
    const lang = this.lang();
    const n = new Notification(t(lang, 'notify.title'), {
      body: t(lang, 'notify.body', { caller: formatPhone(caller), line: line ? formatPhone(line) : '—' }),
      tag: 'ramal-incoming',
      requireInteraction: true,
    });
    n.onclick = () => {
      window.focus();
      n.close();
    };
    this.current = n;
  }
  close(): void {
    this.current?.close();
    this.current = null;
  }
}
