import assert from 'node:assert/strict';
import { DisposableBase, DisposableStore, Emitter, toDisposable } from '../../src/core/common/lifecycle';

describe('core lifecycle', () => {
  it('an emitter delivers to every listener in order and stops after unsubscribe', () => {
    const emitter = new Emitter<number>();
    const seen: string[] = [];
    const a = emitter.event((n) => seen.push(`a${n}`));
    emitter.event((n) => seen.push(`b${n}`));
    emitter.fire(1);
    a.dispose();
    emitter.fire(2);
    assert.deepEqual(seen, ['a1', 'b1', 'b2']);
  });

  it('a throwing listener does not stop the others, and its error is reported', () => {
    const errors: unknown[] = [];
    const emitter = new Emitter<string>((error) => errors.push(error));
    const seen: string[] = [];
    emitter.event(() => {
      throw new Error('boom');
    });
    emitter.event((v) => seen.push(v));
    emitter.fire('x');
    assert.deepEqual(seen, ['x']);
    assert.equal((errors[0] as Error).message, 'boom');
  });

  it('a listener may unsubscribe itself while the event fires', () => {
    const emitter = new Emitter<void>();
    let calls = 0;
    const subscription = emitter.event(() => {
      calls++;
      subscription.dispose();
    });
    emitter.fire();
    emitter.fire();
    assert.equal(calls, 1);
  });

  it('a disposed emitter has no listeners and ignores new ones', () => {
    const emitter = new Emitter<number>();
    emitter.event(() => assert.fail('must not be called'));
    emitter.dispose();
    emitter.event(() => assert.fail('must not be called'));
    emitter.fire(1);
    assert.equal(emitter.hasListeners, false);
  });

  it('a store disposes everything once, and disposes late additions at once', () => {
    const store = new DisposableStore();
    let count = 0;
    store.add(toDisposable(() => count++));
    store.add(toDisposable(() => count++));
    store.dispose();
    store.dispose();
    assert.equal(count, 2);
    store.add(toDisposable(() => count++));
    assert.equal(count, 3);
  });

  it('a store disposes the rest when one disposable throws, then reports the error', () => {
    const store = new DisposableStore();
    let disposed = false;
    store.add(
      toDisposable(() => {
        throw new Error('first');
      }),
    );
    store.add(toDisposable(() => (disposed = true)));
    assert.throws(() => store.dispose(), /first/);
    assert.equal(disposed, true);
  });

  it('DisposableBase ties registered objects to its own life', () => {
    class Owner extends DisposableBase {
      readonly emitter = this._register(new Emitter<number>());
    }
    const owner = new Owner();
    owner.emitter.event(() => undefined);
    owner.dispose();
    assert.equal(owner.emitter.hasListeners, false);
  });
});
