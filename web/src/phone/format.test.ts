import { describe, expect, it } from 'vitest';
import { formatDuration, formatPhone, normalizeDial } from './format';
import { LANG_KEY, allKeys, loadLang, saveLang, t, tMsg } from './i18n';

describe('normalizeDial', () => {
  it.each([
    ['(11) 98765-4321', '+5511987654321'],
    ['11987654321', '+5511987654321'],
    ['011 98765 4321', '+5511987654321'],
    ['55 11 98765-4321', '+5511987654321'],
    ['+55 (11) 98765-4321', '+5511987654321'],
    ['0055 11 98765 4321', '+5511987654321'],
    ['(21) 3456-7890', '+552134567890'],
    ['+1 415 555 0100', '+14155550100'],
    ['client:bia', 'client:bia'],
    ['bia', 'bia'],
    ['  bia.souza  ', 'bia.souza'],
  ])('%s → %s', (input, want) => {
    expect(normalizeDial(input)).toBe(want);
  });

  it.each(['', '   ', '190', '98765-4321', '(11) 8765-43210', '(11) 18765-4321', '(11) 1234-5678', '+55 11 1234', '+0 123', 'client:', 'ana smith', '11 9876a4321', '(01) 98765-4321'])(
    'refuses %j',
    (input) => {
      expect(normalizeDial(input)).toBeNull();
    },
  );
});

describe('formatting', () => {
  it('phones', () => {
    expect(formatPhone('+5511987654321')).toBe('+55 (11) 98765-4321');
    expect(formatPhone('+552134567890')).toBe('+55 (21) 3456-7890');
    expect(formatPhone('+14155550100')).toBe('+14155550100');
    expect(formatPhone('client:bia')).toBe('bia');
  });
  it('durations', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(9.9)).toBe('0:09');
    expect(formatDuration(75)).toBe('1:15');
    expect(formatDuration(3600 + 62)).toBe('1:01:02');
    expect(formatDuration(-5)).toBe('0:00');
  });
});

describe('i18n', () => {
  it('pt-BR by default, English on request, same keys in both', () => {
    expect(t('pt-BR', 'call.answer')).toBe('Atender');
    expect(t('pt-BR', 'call.reject')).toBe('Rejeitar');
    expect(t('en', 'call.answer')).toBe('Answer');
    expect(allKeys('en').sort()).toEqual(allKeys('pt-BR').sort());
    for (const k of allKeys('en')) expect(t('en', k), k).not.toBe('');
  });
  it('placeholders and server messages', () => {
    expect(t('en', 'notify.body', { caller: 'X', line: 'Y' })).toBe('X — line Y');
    expect(t('en', 'agent is on a call')).toBe('agent is on a call');
    expect(tMsg('pt-BR', 'error.server:502')).toBe('Erro do servidor (502).');
  });
  it('the language choice persists', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    expect(loadLang(storage)).toBe('pt-BR');
    saveLang(storage, 'en');
    expect(store.get(LANG_KEY)).toBe('en');
    expect(loadLang(storage)).toBe('en');
    store.set(LANG_KEY, 'klingon');
    expect(loadLang(storage)).toBe('pt-BR');
    const broken = { getItem: () => { throw new Error('denied'); } };
    expect(loadLang(broken)).toBe('pt-BR');
  });
});
