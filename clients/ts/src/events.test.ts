import { describe, expect, it } from 'vitest';
import { parseData, readEvent } from './events';

describe('/api/events data, narrowed', () => {
  it('takes what the server sends', () => {
    const since = '2026-11-24T00:09:12.345Z';
    expect(readEvent.status(parseData(JSON.stringify({ user_id: 12, status: 'busy', since })))).toEqual({ status: 'busy' });
    expect(readEvent.status(parseData('{"user_id":12,"status":"wrapup","since":"t"}'))).toEqual({ status: 'wrapup' });
    expect(
      readEvent['call.incoming'](
        parseData('{"call_sid":"CA1","from":"+5511987654321","to":"+551130000000","line":"Vendas SP","reason":"overflow"}'),
      ),
    ).toEqual({ from: '+5511987654321', line: 'Vendas SP', reason: 'overflow' });
    expect(readEvent.queue(parseData('{"size":3}'))).toEqual({ size: 3 });
    expect(readEvent.agent(parseData(JSON.stringify({ id: 9, status: 'available', since })))).toEqual({ id: 9, status: 'available', since });
  });

  it('ignores what is not JSON or lacks what the softphone reads', () => {
    expect(parseData('not json')).toBeNull();
    expect(parseData(undefined)).toBeNull();
    for (const d of [null, 'busy', 42, {}, { status: 'away' }, { status: 1 }]) expect(readEvent.status(d)).toBeNull();
    for (const d of [null, {}, { size: '3' }]) expect(readEvent.queue(d)).toBeNull();
    for (const d of [null, { id: '9', status: 'busy', since: 't' }, { id: 9, status: 'gone', since: 't' }, { id: 9, status: 'busy' }])
      expect(readEvent.agent(d)).toBeNull();
    expect(readEvent['call.incoming'](null)).toBeNull();
  });

  it('rings a call.incoming whatever it lacks (the SDK call may carry it)', () => {
    expect(readEvent['call.incoming']({})).toEqual({ from: '', line: null, reason: null });
    expect(readEvent['call.incoming']({ from: '+5511987654321', line: 7 })).toEqual({ from: '+5511987654321', line: null, reason: null });
  });
});
