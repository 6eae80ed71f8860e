// The embed demo: trace a chosen file in the Worker, show the placeholder,
// then the image. URLs may be overridden with the page's query string:
// ?wasm=URL&wasmexec=URL&worker=URL (resolved against the page).
import {createTracer} from '../svgtrace.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const status = (text) => { $('progress').textContent = text; };

let tracer;
try {
  tracer = await createTracer({
    workerURL: params.get('worker') ?? undefined,
    wasmURL: params.get('wasm') ?? undefined,
    wasmExecURL: params.get('wasmexec') ?? undefined,
  });
  status(`Ready (svgtrace ${tracer.version}).`);
  document.body.dataset.ready = 'true';
} catch (e) {
  status(`Cannot load the tracer: ${e.message} (${e.code})`);
  throw e;
}

let current = null; // the AbortController of the trace in flight
$('cancel').addEventListener('click', () => current && current.abort());

$('file').addEventListener('change', async () => {
  const file = $('file').files[0];
  if (!file) return;
  if (current) current.abort();
  const ctl = current = new AbortController();
  const placeholder = $('placeholder'), image = $('image');
  placeholder.removeAttribute('src');
  image.classList.remove('loaded');
  if (image.src) URL.revokeObjectURL(image.src);
  image.removeAttribute('src');
  $('frame').hidden = true;
  $('details').hidden = true;
  $('cancel').disabled = false;
  const t0 = performance.now();
  status(`Tracing ${file.name}…`);
  try {
    const res = await tracer.trace(file, undefined, {
      signal: ctl.signal,
      onProgress: (stage, fraction) => status(`Tracing ${file.name}: ${stage} ${Math.round(fraction * 100)} %`),
    });
    const ms = Math.round(performance.now() - t0);
    placeholder.width = res.width;
    placeholder.height = res.height;
    placeholder.alt = `Placeholder of ${file.name}`;
    placeholder.src = res.dataURI;
    $('frame').hidden = false;
    $('svg-source').textContent = res.svg;
    $('bytes').textContent = `${res.stats.svgBytes} bytes, ${res.stats.gzipBytes} gzipped, ${res.stats.paths} paths`;
    $('details').hidden = false;
    status(`Placeholder of ${file.name} (${res.width}×${res.height}) in ${ms} ms; loading the image…`);
    image.alt = file.name;
    image.onload = () => {
      image.classList.add('loaded');
      status(`Placeholder of ${file.name} (${res.width}×${res.height}) in ${ms} ms; image loaded.`);
    };
    image.src = URL.createObjectURL(file);
  } catch (e) {
    status(e.name === 'AbortError' ? `Cancelled ${file.name}.` : `Cannot trace ${file.name}: ${e.message} (${e.code})`);
  } finally {
    if (current === ctl) {
      current = null;
      $('cancel').disabled = true;
    }
  }
});
