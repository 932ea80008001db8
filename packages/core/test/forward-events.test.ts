/** The one rule adapters forward core events by (see forward-events.ts). */
import { EventEmitter } from 'node:events';
import { forwardEvents, SessionStore, sameNames, type StoreWarning } from '@mongo-session/core';
import { testUri, uniqueDatabaseName } from '@mongo-session/test-utils';

const uri = testUri(uniqueDatabaseName('core_forward'));

function adapterOver(core: SessionStore): EventEmitter {
  const adapter = new EventEmitter();
  forwardEvents(core, adapter, { ...sameNames('warning', 'error', 'create'), gone: 'destroy' });
  return adapter;
}

it('forwards under the adapter names once someone listens there; unheard warnings are one process warning per code', async () => {
  const core = new SessionStore({ uri, collection: 'fwd', autoRemove: 'interval' });
  const adapter = adapterOver(core);
  const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  const processWarnings = () => emitWarning.mock.calls.map((call) => String((call[1] as { code?: string } | undefined)?.code));
  try {
    const seen: string[] = [];
    adapter.on('create', (id: string) => seen.push(`create ${id}`));
    adapter.on('gone', (id: string) => seen.push(`gone ${id}`));
    await core.set('a', { n: 1 });
    await core.destroy('a');
    expect(seen).toEqual(['create a', 'gone a']);

    // A warning listener that goes away: the warning falls back to the process, once per code.
    const heard: StoreWarning[] = [];
    const listener = (w: StoreWarning) => heard.push(w);
    adapter.on('warning', listener);
    core.emit('warning', { code: 'TEST_FORWARD_A', message: 'first' });
    adapter.off('warning', listener);
    core.emit('warning', { code: 'TEST_FORWARD_B', message: 'second' });
    core.emit('warning', { code: 'TEST_FORWARD_B', message: 'again' });
    await new Promise((r) => setImmediate(r));
    expect(heard.map((w) => w.code)).toEqual(['TEST_FORWARD_A']);
    expect(processWarnings().filter((c) => c.startsWith('TEST_FORWARD'))).toEqual(['TEST_FORWARD_B']);

    // An error nobody listens to on the adapter is not emitted there (it would crash the app).
    adapter.on('error', () => undefined);
    adapter.removeAllListeners('error');
    expect(() => core.emit('error', Object.assign(new Error('x'), { code: 'MONGO_SESSION_CONNECTION' }) as never)).not.toThrow();
  } finally {
    emitWarning.mockRestore();
    await core.close();
  }
});
