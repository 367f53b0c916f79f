/*
 * A tiny dictionary: pt-BR by default, English available.  The chosen
 * language is kept in localStorage under LANG_KEY.
 */
export type Lang = 'pt-BR' | 'en';
export const LANGS: Lang[] = ['pt-BR', 'en'];
export const LANG_KEY = 'ramal.lang';

const ptBR = {
  'app.title': 'Ramal — softphone',
  'lang.label': 'Idioma',
  'login.title': 'Entrar',
  'login.email': 'E-mail',
  'login.password': 'Senha',
  'login.submit': 'Entrar',
  'login.pending': 'Entrando…',
  'login.missing': 'Informe e-mail e senha.',
  'login.failed': 'E-mail ou senha incorretos.',
  'session.ended': 'Sua sessão terminou. Entre novamente.',
  'login.network': 'Sem conexão com o servidor.',
  'logout': 'Sair',
  'status.label': 'Meu status',
  'status.available': 'Disponível',
  'status.busy': 'Ocupado',
  'status.wrapup': 'Pós-atendimento',
  'status.wrapupEnd': 'Encerrar pós-atendimento',
  'status.offline': 'Offline',
  'status.saving': 'Salvando…',
  'device.off': 'Telefone desligado',
  'device.mic': 'Aguardando permissão do microfone…',
  'device.registering': 'Conectando o telefone…',
  'device.ready': 'Telefone pronto',
  'device.unregistered': 'Telefone desconectado — chamadas não chegam',
  'device.error': 'Erro no telefone',
  'device.retry': 'Tentar novamente',
  'device.token': 'Não foi possível renovar a credencial do telefone.',
  'mic.denied':
    'O microfone foi bloqueado. Libere o acesso ao microfone nas permissões do navegador (ícone ao lado do endereço) e clique em “Tentar novamente”.',
  'mic.unsupported': 'Este navegador não dá acesso ao microfone (use HTTPS ou localhost).',
  'net.offline': 'Sem internet — chamadas podem cair.',
  'events.down': 'Atualizações ao vivo desconectadas; tentando reconectar…',
  'incoming.title': 'Chamada recebida',
  'incoming.from': 'De',
  'incoming.line': 'Linha',
  'incoming.reason': 'Motivo',
  'reason.dedicated': 'Seu número direto',
  'reason.overflow': 'Fila de atendimento',
  'call.answer': 'Atender',
  'call.reject': 'Rejeitar',
  'call.missed': 'Chamada perdida: quem ligou desligou.',
  'call.failed': 'A chamada falhou.',
  'call.active': 'Em chamada',
  'call.dialing': 'Chamando…',
  'call.with': 'com',
  'call.mute': 'Silenciar',
  'call.unmute': 'Ativar microfone',
  'call.hold': 'Espera',
  'call.unhold': 'Retomar',
  'call.holding': 'Colocando em espera…',
  'call.resuming': 'Retomando…',
  'call.onhold': 'Em espera',
  'call.hangup': 'Desligar',
  'call.keypad': 'Teclado',
  'call.duration': 'Duração',
  'cb.title': 'Retornos',
  'cb.open': 'Abertos',
  'cb.oldest': 'Mais antigo',
  'cb.none': 'Ninguém esperando retorno.',
  'cb.next': 'Pegar o próximo',
  'cb.nonext': 'Nenhum retorno esperando.',
  'cb.call': 'Ligar de volta',
  'cb.done': 'Atendeu',
  'cb.noanswer': 'Não atendeu',
  'cb.mine': 'Com você',
  'cb.missed': 'ligações perdidas',
  'cb.reason.abandoned': 'Desistiu na fila',
  'cb.reason.missed-dedicated': 'Linha direta não atendida',
  'cb.reason.voicemail': 'Deixou recado',
  'cb.error': 'Não foi possível atualizar os retornos.',
  'rules.title': 'Alertas',
  'rules.cooldown': 'Intervalo (s)',
  'rules.notconfigured': 'canal sem configuração: nada é enviado por ele',
  'rules.quiet': 'Horário silencioso (um resumo no fim)',
  'rules.from': 'Das',
  'rules.to': 'às',
  'rules.timezone': 'Fuso horário',
  'rules.slack': 'Webhook do Slack desta conta',
  'rules.slack.kept': 'configurado (deixe vazio para manter)',
  'rules.save': 'Salvar alertas',
  'rules.saved': 'Alertas salvos.',
  'rules.error': 'Não foi possível ler os alertas.',
  'rules.ch.slack': 'Slack',
  'rules.ch.whatsapp': 'WhatsApp',
  'rules.ch.webhook': 'Webhook',
  'rules.ev.abandoned': 'Abandono na fila',
  'rules.ev.missed-dedicated': 'Linha direta perdida',
  'rules.ev.voicemail': 'Recado',
  'rules.ev.failed': 'Falha na Twilio',
  'rules.ev.dead-job': 'Tarefa com falha',
  'hold.failed': 'Não foi possível mudar a espera.',
  'hold.nosid': 'A chamada ainda não tem identificador; tente em instantes.',
  'dial.title': 'Discar',
  'dial.number': 'Número ou ramal',
  'dial.call': 'Ligar',
  'dial.clear': 'Apagar',
  'dial.invalid': 'Número inválido. Use DDD + número, por exemplo (11) 98765-4321.',
  'dial.notready': 'O telefone ainda não está pronto.',
  'agents.title': 'Agentes',
  'agents.queue': 'Na fila',
  'agents.oncall': 'em chamada',
  'notify.title': 'Chamada recebida',
  'notify.body': '{caller} — linha {line}',
  'error.server': 'Erro do servidor ({code}).',
} as const;

export type Key = keyof typeof ptBR;

const en: Record<Key, string> = {
  'app.title': 'Ramal — softphone',
  'lang.label': 'Language',
  'login.title': 'Sign in',
  'login.email': 'Email',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.pending': 'Signing in…',
  'login.missing': 'Enter your email and password.',
  'login.failed': 'Wrong email or password.',
  'session.ended': 'Your session ended. Please sign in again.',
  'login.network': 'Cannot reach the server.',
  'logout': 'Sign out',
  'status.label': 'My status',
  'status.available': 'Available',
  'status.busy': 'Busy',
  'status.wrapup': 'Wrap-up',
  'status.wrapupEnd': 'End wrap-up',
  'status.offline': 'Offline',
  'status.saving': 'Saving…',
  'device.off': 'Phone off',
  'device.mic': 'Waiting for microphone permission…',
  'device.registering': 'Connecting the phone…',
  'device.ready': 'Phone ready',
  'device.unregistered': 'Phone disconnected — calls will not arrive',
  'device.error': 'Phone error',
  'device.retry': 'Try again',
  'device.token': 'Could not renew the phone credential.',
  'mic.denied':
    'The microphone is blocked. Allow microphone access in the browser permissions (icon next to the address) and click “Try again”.',
  'mic.unsupported': 'This browser gives no microphone access (use HTTPS or localhost).',
  'net.offline': 'No internet — calls may drop.',
  'events.down': 'Live updates disconnected; reconnecting…',
  'incoming.title': 'Incoming call',
  'incoming.from': 'From',
  'incoming.line': 'Line',
  'incoming.reason': 'Reason',
  'reason.dedicated': 'Your direct number',
  'reason.overflow': 'Service queue',
  'call.answer': 'Answer',
  'call.reject': 'Decline',
  'call.missed': 'Missed call: the caller hung up.',
  'call.failed': 'The call failed.',
  'call.active': 'On a call',
  'call.dialing': 'Calling…',
  'call.with': 'with',
  'call.mute': 'Mute',
  'call.unmute': 'Unmute',
  'call.hold': 'Hold',
  'call.unhold': 'Resume',
  'call.holding': 'Putting on hold…',
  'call.resuming': 'Resuming…',
  'call.onhold': 'On hold',
  'call.hangup': 'Hang up',
  'call.keypad': 'Keypad',
  'call.duration': 'Duration',
  'cb.title': 'Callbacks',
  'cb.open': 'Open',
  'cb.oldest': 'Oldest',
  'cb.none': 'Nobody waiting for a call back.',
  'cb.next': 'Take the next one',
  'cb.nonext': 'No callback is waiting.',
  'cb.call': 'Call back',
  'cb.done': 'Answered',
  'cb.noanswer': 'No answer',
  'cb.mine': 'Yours',
  'cb.missed': 'missed calls',
  'cb.reason.abandoned': 'Gave up in the queue',
  'cb.reason.missed-dedicated': 'Direct line not answered',
  'cb.reason.voicemail': 'Left a message',
  'cb.error': 'Could not update the callbacks.',
  'rules.title': 'Alerts',
  'rules.cooldown': 'Cooldown (s)',
  'rules.notconfigured': 'channel not configured: nothing goes out on it',
  'rules.quiet': 'Quiet hours (a digest at their end)',
  'rules.from': 'From',
  'rules.to': 'to',
  'rules.timezone': 'Time zone',
  'rules.slack': "This account's Slack webhook",
  'rules.slack.kept': 'set (leave empty to keep it)',
  'rules.save': 'Save alerts',
  'rules.saved': 'Alerts saved.',
  'rules.error': 'Could not read the alerts.',
  'rules.ch.slack': 'Slack',
  'rules.ch.whatsapp': 'WhatsApp',
  'rules.ch.webhook': 'Webhook',
  'rules.ev.abandoned': 'Abandoned in queue',
  'rules.ev.missed-dedicated': 'Missed direct line',
  'rules.ev.voicemail': 'Voicemail',
  'rules.ev.failed': 'Failed at Twilio',
  'rules.ev.dead-job': 'Failed job',
  'hold.failed': 'Could not change hold.',
  'hold.nosid': 'The call has no id yet; try again in a moment.',
  'dial.title': 'Dial',
  'dial.number': 'Number or extension',
  'dial.call': 'Call',
  'dial.clear': 'Delete',
  'dial.invalid': 'Invalid number. Use area code + number, e.g. (11) 98765-4321.',
  'dial.notready': 'The phone is not ready yet.',
  'agents.title': 'Agents',
  'agents.queue': 'In queue',
  'agents.oncall': 'on a call',
  'notify.title': 'Incoming call',
  'notify.body': '{caller} — line {line}',
  'error.server': 'Server error ({code}).',
};

const dicts: Record<Lang, Record<Key, string>> = { 'pt-BR': ptBR, en };

export function isKey(k: string): k is Key {
  return Object.prototype.hasOwnProperty.call(ptBR, k);
}

/*
 * The text for k in lang with {name} placeholders filled.  A message that
 * is not a key (e.g. an error text from the server) is returned as is.
 */
export function t(lang: Lang, k: string, vars: Record<string, string | number> = {}): string {
  const text = isKey(k) ? dicts[lang][k] : k;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

export function parseLang(v: string | null | undefined): Lang {
  return v === 'en' ? 'en' : 'pt-BR';
}

export function loadLang(storage: Pick<Storage, 'getItem'> | undefined): Lang {
  try {
    return parseLang(storage?.getItem(LANG_KEY));
  } catch {
    return 'pt-BR';
  }
}

export function saveLang(storage: Pick<Storage, 'setItem'> | undefined, lang: Lang): void {
  try {
    storage?.setItem(LANG_KEY, lang);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
}

export function allKeys(lang: Lang): string[] {
  return Object.keys(dicts[lang]);
}

/* Like t(), and also "error.server:<code>" from api.ts. */
export function tMsg(lang: Lang, m: string): string {
  const s = /^error\.server:(\d+)$/.exec(m);
  return s ? t(lang, 'error.server', { code: s[1] }) : t(lang, m);
}
