// svgtrace embed: trace images into SVG placeholders in the browser, with no
// backend. The tracing runs in a Web Worker (worker.js) on svgtrace.wasm, so
// the page's main thread never waits for it.
//
//   import {createTracer} from './svgtrace.js';
//   const tracer = await createTracer();
//   const {svg, dataURI, width, height, stats} =
//       await tracer.trace(file, {threshold: 0.5}, {onProgress, signal});
//   tracer.close();
//
// See README.md for the options, the errors and the CSP a host page needs.

/** The version of this module (package.json's). */
export const VERSION = '0.1.0';

// Error codes of this module, beside the wasm's own (invalid_options,
// invalid_input, too_large, cancelled, callback, internal): "load" (the
// Worker, wasm_exec.js or the wasm could not be loaded), "decode" (the
// browser could not decode the input), "closed" (close was called).

/**
 * Starts a Worker, loads the wasm module into it and resolves to a Tracer
 * once it is ready to trace. Every URL is resolved against the page's URL;
 * the defaults are the files beside this module.
 */
export async function createTracer(config = {}) {
  const base = globalThis.location ? globalThis.location.href : import.meta.url;
  const here = (name) => new URL(name, import.meta.url).href;
  const abs = (u, def) => (u == null ? def : new URL(String(u), base).href);
  const workerURL = abs(config.workerURL, here('worker.js'));
  const wasmURL = abs(config.wasmURL, here('svgtrace.wasm'));
  const wasmExecURL = abs(config.wasmExecURL, here('wasm_exec.js'));

  let worker;
  try {
    // A classic Worker: wasm_exec.js is a classic script it loads with
    // importScripts. Workers must be same-origin with the page.
    worker = new Worker(workerURL, {name: 'svgtrace'});
  } catch (e) {
    throw codedError(`svgtrace: cannot start the Worker ${workerURL}: ${e && e.message}`, 'load');
  }
  const tracer = new Tracer(worker);
  try {
    const version = await tracer._init(wasmURL, wasmExecURL, config.timeout ?? 30000);
    tracer.version = version;
  } catch (e) {
    tracer.close();
    throw e;
  }
  return tracer;
}

class Tracer {
  constructor(worker) {
    this.version = '';
    this._worker = worker;
    this._pending = new Map(); // id → {resolve, reject, onProgress, cleanup}
    this._lastID = 0;
    this._closed = null; // the Error every call gets once closed or broken
    worker.onmessage = (e) => this._message(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      this._fail(codedError(`svgtrace: the Worker failed: ${e.message || 'cannot load ' + worker.name}`, 'load'));
    };
    worker.onmessageerror = () => this._fail(codedError('svgtrace: a Worker message could not be read', 'internal'));
  }

  _init(wasmURL, wasmExecURL, timeout) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(0);
        reject(codedError(`svgtrace: the wasm module did not load within ${timeout} ms`, 'load'));
      }, timeout);
      this._pending.set(0, {
        resolve: (v) => { clearTimeout(timer); resolve(v); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this._worker.postMessage({type: 'init', wasmURL, wasmExecURL});
    });
  }

  /**
   * Traces input (a File, a Blob of an encoded image, an ImageBitmap, or
   * an ImageData of pixels) with options (tracecore's JSON names over the
   * placeholder preset). Resolves to {svg, dataURI, width, height, stats}.
   */
  trace(input, options, {onProgress, signal} = {}) {
    if (this._closed) return Promise.reject(this._closed);
    if (signal && signal.aborted) return Promise.reject(abortError(signal));
    if (onProgress != null && typeof onProgress !== 'function') {
      return Promise.reject(codedError('svgtrace: onProgress must be a function', 'invalid_input'));
    }
    if (!isInput(input)) {
      return Promise.reject(codedError('svgtrace: input must be a File, Blob, ImageBitmap or ImageData', 'invalid_input'));
    }
    const id = ++this._lastID;
    return new Promise((resolve, reject) => {
      let onAbort = null;
      const cleanup = () => {
        this._pending.delete(id);
        if (onAbort) signal.removeEventListener('abort', onAbort);
      };
      if (signal) {
        onAbort = () => {
          // Reject at once, as fetch does; the Worker stops at its next check.
          this._worker.postMessage({type: 'cancel', id});
          cleanup();
          reject(abortError(signal));
        };
        signal.addEventListener('abort', onAbort, {once: true});
      }
      this._pending.set(id, {resolve, reject, onProgress, cleanup});
      const transfer = typeof ImageBitmap !== 'undefined' && input instanceof ImageBitmap ? [input] : [];
      try {
        this._worker.postMessage({type: 'trace', id, input, options: options ?? null}, transfer);
      } catch (e) {
        cleanup();
        reject(codedError(`svgtrace: cannot send the input to the Worker: ${e && e.message}`, 'invalid_input'));
      }
    });
  }

  /** Stops the Worker; calls in flight reject with code "closed". */
  close() {
    if (!this._closed) this._fail(codedError('svgtrace: the tracer is closed', 'closed'));
  }

  _fail(err) {
    if (this._closed) return;
    this._closed = err;
    this._worker.terminate();
    for (const p of [...this._pending.values()]) {
      if (p.cleanup) p.cleanup();
      p.reject(err);
    }
    this._pending.clear();
  }

  _message(m) {
    const p = m && this._pending.get(m.id);
    if (!p) return; // aborted or closed meanwhile
    switch (m.type) {
      case 'ready':
        this._pending.delete(0);
        p.resolve(m.version);
        break;
      case 'progress':
        if (p.onProgress) {
          try {
            p.onProgress(m.stage, m.fraction);
          } catch (e) {
            // The page's callback failed: stop, as the wasm does for its own.
            this._worker.postMessage({type: 'cancel', id: m.id});
            p.cleanup();
            p.reject(codedError(`svgtrace: onProgress threw: ${e && e.message}`, 'callback'));
          }
        }
        break;
      case 'result':
        p.cleanup();
        p.resolve(m.result);
        break;
      case 'error':
        if (p.cleanup) p.cleanup(); else this._pending.delete(m.id);
        p.reject(toError(m.error));
        break;
    }
  }
}

function isInput(x) {
  return (typeof Blob !== 'undefined' && x instanceof Blob) ||
    (typeof ImageBitmap !== 'undefined' && x instanceof ImageBitmap) ||
    (typeof ImageData !== 'undefined' && x instanceof ImageData);
}

// codedError is an Error with the code property the wasm's errors carry.
function codedError(message, code, name = 'Error') {
  const e = new Error(message);
  e.name = name;
  e.code = code;
  return e;
}

function abortError(signal) {
  const e = codedError('svgtrace: the trace was aborted', 'cancelled', 'AbortError');
  if (signal && signal.reason !== undefined) e.cause = signal.reason;
  return e;
}

// toError rebuilds an Error from the plain object the Worker posts.
function toError(o) {
  return codedError(o && o.message || 'svgtrace: unknown error', o && o.code || 'internal', o && o.name || 'Error');
}
