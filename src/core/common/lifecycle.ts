/**
 * Disposables and events with the same shape as VS Code's, so that a core event plugs straight into
 * a VS Code API (e.g. `TreeDataProvider.onDidChangeTreeData`) without the core importing `vscode`.
 */

export interface Disposable {
  dispose(): void;
}

/** Subscribe with a listener; the returned disposable unsubscribes. */
export type Event<T> = (listener: (value: T) => void, thisArgs?: unknown, disposables?: Disposable[]) => Disposable;

export function toDisposable(dispose: () => void): Disposable {
  let disposed = false;
  return {
    dispose: () => {
      if (!disposed) {
        disposed = true;
        dispose();
      }
    },
  };
}

/** Owns a set of disposables and disposes them together, once; adding after disposal disposes at once. */
export class DisposableStore implements Disposable {
  private readonly _items = new Set<Disposable>();
  private _disposed = false;

  get isDisposed(): boolean {
    return this._disposed;
  }

  add<T extends Disposable>(item: T): T {
    if (this._disposed) {
      item.dispose();
    } else {
      this._items.add(item);
    }
    return item;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    const errors: unknown[] = [];
    for (const item of this._items) {
      try {
        item.dispose();
      } catch (error) {
        errors.push(error);
      }
    }
    this._items.clear();
    if (errors.length === 1) {
      throw errors[0];
    }
    if (errors.length > 1) {
      throw new AggregateError(errors, `${errors.length} disposables failed to dispose`);
    }
  }
}

/** Base class for objects that own disposables: `this._register(x)` ties x's life to this object's. */
export abstract class DisposableBase implements Disposable {
  private readonly _store = new DisposableStore();

  protected _register<T extends Disposable>(item: T): T {
    return this._store.add(item);
  }

  dispose(): void {
    this._store.dispose();
  }
}

/**
 * Fires values to listeners in subscription order. A listener that throws does not stop the others;
 * its error goes to `onListenerError` (by default re-thrown asynchronously so it is not lost).
 */
export class Emitter<T> implements Disposable {
  private _listeners: Array<(value: T) => void> = [];
  private _disposed = false;
  private _event: Event<T> | undefined;

  constructor(private readonly _onListenerError: (error: unknown) => void = rethrowLater) {}

  get event(): Event<T> {
    this._event ??= (listener, thisArgs, disposables) => {
      if (this._disposed) {
        return toDisposable(() => undefined);
      }
      const bound = thisArgs === undefined ? listener : listener.bind(thisArgs);
      this._listeners.push(bound);
      const subscription = toDisposable(() => {
        this._listeners = this._listeners.filter((l) => l !== bound);
      });
      disposables?.push(subscription);
      return subscription;
    };
    return this._event;
  }

  get hasListeners(): boolean {
    return this._listeners.length > 0;
  }

  fire(value: T): void {
    // Copy: a listener may unsubscribe (or subscribe another) while we iterate.
    for (const listener of [...this._listeners]) {
      try {
        listener(value);
      } catch (error) {
        this._onListenerError(error);
      }
    }
  }

  dispose(): void {
    this._disposed = true;
    this._listeners = [];
  }
}

function rethrowLater(error: unknown): void {
  setTimeout(() => {
    throw error;
  }, 0);
}
