// The browser benchmarks, run by svgtrace-bench (browser.go) through the
// DevTools protocol: each function of window.bench resolves to plain JSON.
// The embed module is served at /, beside svgtrace.wasm and wasm_exec.js;
// this page and its files at /bench/, the photo at /bench/picos.jpg.

const W = 400, H = 300; // the 400 px trace: picos.jpg (3264×2448) drawn at 400×300

let tracer = null;
let photo = null;      // picos.jpg as a Blob
let imageData = null;  // its pixels at W×H

async function setup() {
  const res = await fetch('/bench/picos.jpg');
  if (!res.ok) throw new Error(`fetch picos.jpg: HTTP ${res.status}`);
  photo = await res.blob();
  const bitmap = await createImageBitmap(photo);
  const canvas = document.createElement('canvas');
  canvas.width = W;
  canvas.height = H;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, 0, 0, W, H);
  bitmap.close();
  imageData = ctx.getImageData(0, 0, W, H);
  const {createTracer} = await import('/svgtrace.js');
  tracer = await createTracer();
  return {photoBytes: photo.size, width: W, height: H, version: tracer.version};
}

// pixels times svgtrace.trace, the wasm API, on the W×H pixels in the
// benchmark's own Worker, then the embed module's tracer.trace(ImageData)
// from this page (the same trace plus postMessage both ways).
async function pixels(warmup, runs) {
  const worker = new Worker('/bench/trace-worker.js');
  const direct = await new Promise((resolve, reject) => {
    worker.onmessage = (e) => (e.data.error ? reject(new Error(e.data.error)) : resolve(e.data));
    worker.onerror = (e) => reject(new Error('trace-worker.js: ' + e.message));
    worker.postMessage({pixels: imageData.data, width: W, height: H, warmup, runs});
  });
  worker.terminate();
  for (let i = 0; i < warmup; i++) await tracer.trace(imageData);
  const embed = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await tracer.trace(imageData);
    embed.push(performance.now() - t0);
  }
  return {direct: direct.ms, svgBytes: direct.svgBytes, timings: direct.timings, embed};
}

// placeholder times tracer.trace(photo) from the call to the promise
// resolving, and to an <img> of the data URI having loaded.
async function placeholder(warmup, runs) {
  const resolved = [], shown = [];
  let first = 0, uriBytes = 0;
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    const r = await tracer.trace(photo);
    const t1 = performance.now();
    const img = new Image();
    const loaded = new Promise((res, rej) => { img.onload = res; img.onerror = () => rej(new Error('the placeholder did not load')); });
    img.src = r.dataURI;
    document.body.replaceChildren(img);
    await loaded;
    const t2 = performance.now();
    if (i === 0) first = t1 - t0;
    if (i < warmup) continue;
    resolved.push(t1 - t0);
    shown.push(t2 - t0);
    uriBytes = r.stats.dataURIBytes;
  }
  return {first, resolved, shown, dataURIBytes: uriBytes};
}

// run is the whole of the traces measured: pixels, then placeholders, with
// the long tasks the observer saw meanwhile.
async function run(warmup, runs, photoWarmup, photoRuns) {
  const info = await setup();
  const start = performance.now();
  const px = await pixels(warmup, runs);
  const ph = await placeholder(photoWarmup, photoRuns);
  await new Promise((r) => setTimeout(r, 100)); // let the observer deliver the last entries
  const end = performance.now();
  const tasks = window.longTasks.filter((t) => t.start >= start && t.start < end).map((t) => t.duration);
  return {...info, ...px, ...ph, longTasks: tasks, windowMs: end - start};
}

// firstLoad times a fresh page's import of the module and createTracer:
// the Worker started, wasm_exec.js and svgtrace.wasm fetched, the wasm
// compiled, instantiated and run until it installed its API.
async function firstLoad() {
  const t0 = performance.now();
  const {createTracer} = await import('/svgtrace.js');
  const t1 = performance.now();
  const t = await createTracer();
  const t2 = performance.now();
  const r = await t.trace(new ImageData(8, 8));
  t.close();
  return {importMs: t1 - t0, createMs: t2 - t1, ok: r.svg.startsWith('<svg')};
}

window.bench = {run, firstLoad};
