// svgtrace embed Worker (a classic Worker script): loads wasm_exec.js and
// svgtrace.wasm, decodes each input with createImageBitmap (EXIF orientation
// applied by the browser), downscales it on an OffscreenCanvas and traces the
// pixels with globalThis.svgtrace.trace. Messages (see svgtrace.js):
//
//   in:  {type: 'init', wasmURL, wasmExecURL}
//        {type: 'trace', id, input, options}   input: Blob | ImageBitmap | ImageData
//        {type: 'cancel', id}
//   out: {type: 'ready', id: 0, version}
//        {type: 'progress', id, stage, fraction}
//        {type: 'result', id, result}
//        {type: 'error', id, error: {name, message, code}}
'use strict';

// The placeholder preset's maxside (tracecore.PlaceholderOptions), used when
// the options do not name one; null means DefaultOptions' 0, no limit.
const PLACEHOLDER_MAXSIDE = 400;

let ready = null;          // Promise of the svgtrace API, once init arrived
const jobs = new Map();    // id → {cancelled, handle}

self.onmessage = (e) => {
  const m = e.data;
  switch (m && m.type) {
    case 'init':
      ready = load(m.wasmURL, m.wasmExecURL);
      ready.then(
        (api) => self.postMessage({type: 'ready', id: 0, version: String(api.version)}),
        (err) => self.postMessage({type: 'error', id: 0, error: plainError(err, 'load')}));
      break;
    case 'trace':
      run(m.id, m.input, m.options);
      break;
    case 'cancel': {
      const job = jobs.get(m.id);
      if (job) {
        job.cancelled = true;
        if (job.handle) job.handle.cancel();
      }
      break;
    }
  }
};

async function load(wasmURL, wasmExecURL) {
  try {
    importScripts(wasmExecURL); // defines globalThis.Go
  } catch (e) {
    throw coded(`svgtrace: cannot load ${wasmExecURL}: ${e.message}`, 'load');
  }
  const go = new Go();
  let inst;
  try {
    inst = (await WebAssembly.instantiateStreaming(fetchOK(wasmURL), go.importObject)).instance;
  } catch (e) {
    if (e && e.code === 'load') throw e;
    // A server that does not send application/wasm: compile from the bytes.
    const buf = await (await fetchOK(wasmURL)).arrayBuffer();
    try {
      inst = (await WebAssembly.instantiate(buf, go.importObject)).instance;
    } catch (e2) {
      throw coded(`svgtrace: cannot instantiate ${wasmURL}: ${e2.message}`, 'load');
    }
  }
  go.run(inst); // runs main until it blocks, which installs svgtrace; never resolves
  for (let i = 0; !self.svgtrace && i < 100; i++) await new Promise((r) => setTimeout(r, 10));
  if (!self.svgtrace) throw coded('svgtrace: the wasm module did not install globalThis.svgtrace', 'load');
  return self.svgtrace;
}

async function fetchOK(url) {
  let res;
  try {
    res = await fetch(url, {credentials: 'same-origin'});
  } catch (e) {
    throw coded(`svgtrace: cannot fetch ${url}: ${e.message}`, 'load');
  }
  if (!res.ok) throw coded(`svgtrace: cannot fetch ${url}: HTTP ${res.status}`, 'load');
  return res;
}

async function run(id, input, options) {
  const job = {cancelled: false, handle: null};
  jobs.set(id, job);
  const progress = (stage, fraction) => self.postMessage({type: 'progress', id, stage, fraction});
  try {
    if (!ready) throw coded('svgtrace: the Worker was not initialised', 'internal');
    const api = await ready;
    options = parseOptions(options);
    const px = await pixels(input, maxSide(options), progress);
    if (job.cancelled) throw coded('svgtrace: the trace was aborted', 'cancelled', 'AbortError');
    // Pixels downscaled here stand for the whole image: the SVG keeps its
    // width and height (tracecore.Reduced), the viewBox is the traced size.
    const imageSize = px.imageWidth !== px.width || px.imageHeight !== px.height
      ? {width: px.imageWidth, height: px.imageHeight} : undefined;
    job.handle = api.trace(px.data, px.width, px.height, 4, options, progress, imageSize);
    const result = await job.handle;
    self.postMessage({type: 'result', id, result});
  } catch (err) {
    self.postMessage({type: 'error', id, error: plainError(err, 'internal')});
  } finally {
    jobs.delete(id);
  }
}

// parseOptions returns options as an object (the wasm takes JSON text too,
// but the Worker reads maxside from it).
function parseOptions(options) {
  if (options == null || options === '') return undefined;
  if (typeof options === 'string') {
    try {
      return JSON.parse(options);
    } catch (e) {
      throw coded(`svgtrace: options are not JSON: ${e.message}`, 'invalid_options');
    }
  }
  return options;
}

function maxSide(options) {
  if (!options || !('maxside' in options) || options.maxside === undefined) return PLACEHOLDER_MAXSIDE;
  const n = options.maxside;
  return typeof n === 'number' && n > 0 ? n : 0; // null: no limit; the wasm rejects the invalid
}

// pixels returns the RGBA pixels to trace: {data, width, height} and the
// size of the image they stand for, {imageWidth, imageHeight}.
async function pixels(input, maxside, progress) {
  if (input instanceof ImageData) {
    // Pixels as they are: the wasm downscales them itself, exactly as native
    // tracecore does (area averaging), for byte-identical output.
    return {data: input.data, width: input.width, height: input.height, imageWidth: input.width, imageHeight: input.height};
  }
  progress('decode', 0);
  let bitmap = input;
  if (!(input instanceof ImageBitmap)) {
    try {
      bitmap = await createImageBitmap(input, {imageOrientation: 'from-image'});
    } catch (e) {
      throw coded(`svgtrace: the browser cannot decode the image: ${e.message}`, 'decode');
    }
  }
  try {
    const W = bitmap.width, H = bitmap.height;
    const [w, h] = targetSize(W, H, maxside);
    const canvas = new OffscreenCanvas(w, h);
    const ctx = canvas.getContext('2d', {willReadFrequently: true});
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, 0, 0, w, h);
    const data = ctx.getImageData(0, 0, w, h).data;
    progress('decode', 1);
    return {data, width: w, height: h, imageWidth: W, imageHeight: H};
  } finally {
    bitmap.close();
  }
}

// targetSize is tracecore's (targetSize in tracecore/scale.go): the longer
// side maxside, the shorter rounded to nearest and at least 1, or the size
// itself when it fits. The wasm, told the image's size, traces at the same
// size, so the pixels drawn here are traced as they are.
function targetSize(w, h, maxside) {
  if (maxside <= 0 || Math.max(w, h) <= maxside) return [w, h];
  const short = (s, long) => Math.max(1, Math.floor((s * maxside + Math.floor(long / 2)) / long));
  return w >= h ? [maxside, short(h, w)] : [short(w, h), maxside];
}

function coded(message, code, name = 'Error') {
  const e = new Error(message);
  e.name = name;
  e.code = code;
  return e;
}

// plainError is what crosses postMessage: name, message and code.
function plainError(err, code) {
  return {
    name: (err && err.name) || 'Error',
    message: (err && err.message) || String(err),
    code: (err && err.code) || code,
  };
}
