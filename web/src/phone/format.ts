/*
 * Number and time helpers (pure).  The server normalises dialled numbers
 * again (/twilio/voice/outbound); this catches typos before a call starts.
 */

const IDENTITY = /^[A-Za-z][A-Za-z0-9_.@-]{0,120}$/;

/* A Brazilian national number (DDD + subscriber) is valid? */
function brNational(d: string): boolean {
  if (!/^[1-9][1-9]/.test(d)) return false; // DDD 11..99, no zero digit
  if (d.length === 11) return d[2] === '9'; // mobile: 9 + 8 digits
  if (d.length === 10) return /[2-5]/.test(d[2]); // landline
  return false;
}

/*
 * What the softphone sends as `To`: an E.164 number, "client:<identity>",
 * or a bare agent identity; null when input is none of those.  Brazilian
 * forms are accepted: (11) 98765-4321, 011 98765 4321, 55 11 ..., +55 ...
 */
export function normalizeDial(input: string): string | null {
  const s = input.trim();
  if (!s) return null;
  if (/^client:/i.test(s)) {
    const id = s.slice(7).trim();
    return IDENTITY.test(id) ? 'client:' + id : null;
  }
  if (/[A-Za-z]/.test(s)) return IDENTITY.test(s) ? s : null;
  if (!/^\+?[\d\s().-]+$/.test(s)) return null;
  const plus = s.startsWith('+');
  let d = s.replace(/\D/g, '');
  if (plus) {
    if (d.startsWith('55')) return brNational(d.slice(2)) ? '+' + d : null;
    return /^[1-9]\d{7,14}$/.test(d) ? '+' + d : null;
  }
  if (d.startsWith('00')) {
    d = d.slice(2); // international prefix
    if (d.startsWith('55')) return brNational(d.slice(2)) ? '+' + d : null;
    return /^[1-9]\d{7,14}$/.test(d) ? '+' + d : null;
  }
  if (d.startsWith('0')) d = d.slice(1); // trunk prefix before the DDD
  if (brNational(d)) return '+55' + d;
  if ((d.length === 12 || d.length === 13) && d.startsWith('55') && brNational(d.slice(2)))
    return '+' + d;
  return null;
}

/* "+5511987654321" → "+55 (11) 98765-4321"; other values unchanged. */
export function formatPhone(v: string): string {
  const m = /^\+55(\d{2})(\d{4,5})(\d{4})$/.exec(v);
  if (m) return `+55 (${m[1]}) ${m[2]}-${m[3]}`;
  if (v.startsWith('client:')) return v.slice(7);
  return v;
}

/* Seconds → "m:ss" or "h:mm:ss". */
export function formatDuration(totalSeconds: number): string {
  const t = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = String(t % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
