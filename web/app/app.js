// The svgtrace gallery: uploads with per-file progress, placeholders as soon
// as they exist, live updates over the WebSocket hub (docs/protocol.md), and
// offline-first tracing in a Web Worker with an IndexedDB outbox that syncs
// when the network returns. No build step: plain ES modules.

import {createTracer} from '/embed/svgtrace.js';
import * as outbox from '/app/outbox.js';

const $ = (sel) => document.querySelector(sel);
const cards = new Map(); // image id → card element
const plans = new Map(); // plan ref → {resolve, reject}
let ws = null;
let tracer = null; // null: this browser cannot trace; the server does
let lastEventId = Number(localStorage.getItem('svgtrace.lastEventId') || 0);

// ---- the server's write token ------------------------------------------------

// A server started with --token refuses writes without it: uploads, alt
// text and deletes (Authorization: Bearer) and the hub's plans and results
// (in a WebSocket subprotocol: see subprotocols). It is kept
// in localStorage, not sessionStorage: this is the owner's own gallery, and
// files left in the outbox sync after a reload or a restart of the browser,
// when nobody may be there to type it again. Only script on this origin can
// read it, and the page's CSP admits no script but its own.
const tokenKey = 'svgtrace.token';
let token = localStorage.getItem(tokenKey) || '';

// subprotocols offers the hub its protocol and, with a token, the token in
// the subprotocol docs/protocol.md names (svgtrace.token. and the UTF-8
// bytes in unpadded base64url): a WebSocket cannot carry an Authorization
// header, and a token in the URL would end up in access logs.
function subprotocols() {
  if (!token) return ['svgtrace.v1'];
  const b64 = btoa(String.fromCharCode(...new TextEncoder().encode(token)));
  return ['svgtrace.v1', 'svgtrace.token.' + b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')];
}

// authHeaders: a write's Authorization header; none without a token, so a
// server without one sees the same requests as before.
function authHeaders() { return token ? {Authorization: 'Bearer ' + token} : {}; }

// needToken tells the user that the server refused a write for want of its
// token (HTTP 401 or the hub's unauthorized), and opens Settings at the
// token field. Nothing is retried from here: the outbox syncs again when a
// token is saved (the hub's welcome), so a wrong or missing token never
// loops.
function needToken() {
  const msg = token
    ? 'This server refused the saved token: enter its write token under Settings.'
    : 'This server needs its write token: enter it under Settings.';
  setStatus(msg);
  const settings = $('#settings'), note = $('#token-needed');
  settings.open = true;
  note.hidden = false;
  note.textContent = msg;
  if (!settings.contains(document.activeElement)) $('#token').focus();
}

// setToken keeps t ('' clears it) and reconnects the hub, which reads the
// token at the upgrade only; its welcome then syncs the outbox with it.
function setToken(t) {
  token = t;
  if (t) localStorage.setItem(tokenKey, t);
  else localStorage.removeItem(tokenKey);
  $('#token-needed').hidden = true;
  showToken();
  if (started) reconnect();
}

// Another tab saved or cleared the token: take it here too, at once, so
// this tab's writes and hub connection do not go on without it.
window.addEventListener('storage', (e) => {
  if (e.key !== tokenKey) return;
  token = e.newValue || '';
  $('#token-needed').hidden = true;
  showToken();
  if (started) reconnect();
});

function showToken() {
  $('#token-state').textContent = token ? 'A token is saved in this browser.' : 'No token saved.';
}

// ---- tracing in this browser ----------------------------------------------

async function startTracer() {
  try {
    tracer = await createTracer({workerURL: '/embed/worker.js', wasmURL: '/wasm/svgtrace.wasm', wasmExecURL: '/wasm/wasm_exec.js'});
  } catch (e) {
    tracer = null; // no wasm built into this server, or no WebAssembly: the server traces
    console.info('svgtrace: tracing on the server:', e.message);
  }
}

function currentOptions() {
  const f = $('#opts').elements;
  const o = {turdsize: Number(f.turdsize.value), steps: Number(f.steps.value)};
  o.threshold = f['threshold-auto'].checked ? 'auto' : Number(f.threshold.value);
  o.color = f['color-auto'].checked ? 'auto' : f.color.value;
  if (o.steps <= 1) delete o.steps;
  return o;
}

// ---- the hub ---------------------------------------------------------------

function setStatus(text) { $('#status').textContent = text; }

let reconnectTimer = 0;
function connect() {
  clearTimeout(reconnectTimer);
  if (ws) return; // one connection at a time
  if (!navigator.onLine) {
    // The browser says there is no network: wait for its online event
    // rather than reach a server that may still answer a WebSocket.
    setStatus('offline: images are traced here and kept until the network returns');
    return;
  }
  const url = new URL('/ws', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  ws = new WebSocket(url, subprotocols());
  ws.onopen = () => {
    setStatus('online');
    ws.send(JSON.stringify({v: 1, type: 'hello', capabilities: {
      wasm: !!tracer, cores: navigator.hardwareConcurrency || 0, memory: navigator.deviceMemory || 0}}));
  };
  ws.onmessage = (e) => onMessage(JSON.parse(e.data));
  ws.onclose = () => disconnected();
}

// dropSocket forgets the socket (now, without waiting for a closing
// handshake that an offline network may never complete) and fails the plans
// in flight: their files go to the outbox.
function dropSocket() {
  if (ws) {
    ws.onopen = ws.onmessage = ws.onclose = null;
    ws.close();
    ws = null;
  }
  for (const p of plans.values()) p.reject(new Error('disconnected'));
  plans.clear();
}

// disconnected drops the socket and schedules a reconnect.
function disconnected() {
  dropSocket();
  setStatus(navigator.onLine ? 'reconnecting…' : 'offline: images are traced here and kept until the network returns');
  clearTimeout(reconnectTimer);
  reconnectTimer = setTimeout(connect, 2000);
}

// reconnect replaces the connection at once (a new token).
function reconnect() {
  dropSocket();
  connect();
}

async function onMessage(m) {
  if (m.eventId) {
    lastEventId = Math.max(lastEventId, m.eventId);
    localStorage.setItem('svgtrace.lastEventId', String(lastEventId));
  }
  switch (m.type) {
    case 'welcome':
      // Load the gallery once, then follow events from where it was read.
      if (!lastEventId || !cards.size) {
        await loadGallery();
        lastEventId = m.lastEventId;
      }
      ws.send(JSON.stringify({v: 1, type: 'resume', lastEventId}));
      syncOutbox();
      break;
    case 'assign': case 'error': {
      const p = plans.get(m.ref);
      if (p) { plans.delete(m.ref); m.type === 'assign' ? p.resolve(m) : p.reject(Object.assign(new Error(m.message), {code: m.code})); }
      else if (m.code === 'unauthorized') needToken(); // a result's: it has no ref
      else if (m.type === 'error') console.warn('svgtrace:', m.code, m.message);
      break;
    }
    case 'image.added': if (m.image) upsert(m.image); break;
    // Only the text: the rest of the card follows its own events. An image
    // this page does not show (deleted since, or beyond the first page) gets
    // no card from a change of its text.
    case 'image.updated': { const li = cards.get(m.imageId); if (li && m.image) setText(li, m.image); break; }
    case 'progress': progress(m.imageId, m.fraction, m.stage); break;
    case 'traced': placeholder(m.imageId, m.placeholder); break;
    case 'failed': status(m.imageId, 'failed: ' + m.error); break;
    case 'image.deleted': cards.get(m.imageId)?.remove(); cards.delete(m.imageId); break;
  }
}

// A plan not answered in planTimeout (a socket that looks open on a dead
// network) is offline: the file goes to the outbox.
const planTimeout = 10000;
function plan(fields) {
  const ref = crypto.randomUUID();
  return new Promise((resolve, reject) => {
    if (!ws || ws.readyState !== WebSocket.OPEN) return reject(new Error('offline'));
    const timer = setTimeout(() => { plans.delete(ref); reject(new Error('offline')); }, planTimeout);
    plans.set(ref, {resolve: (m) => { clearTimeout(timer); resolve(m); }, reject: (e) => { clearTimeout(timer); reject(e); }});
    ws.send(JSON.stringify({v: 1, type: 'plan', ref, ...fields}));
  });
}

// ---- the gallery -------------------------------------------------------------

async function loadGallery() {
  const res = await fetch('/api/images?limit=100');
  if (!res.ok) return;
  const {images} = await res.json();
  for (const img of images.reverse()) upsert(img);
}

function card(id) {
  let li = cards.get(id);
  if (li) return li;
  li = document.createElement('li');
  // Both images carry the image's alt text (setAlt), but the placeholder is
  // aria-hidden: it is a traced stand-in stacked under the real image, so
  // announcing both would read the description twice. The real image is the
  // one kept in the accessibility tree because it is in the card from the
  // start (transparent until loaded, which does not hide it from screen
  // readers) and stays after the placeholder is covered.
  li.innerHTML = `<div class="frame"><img class="ph" alt="" aria-hidden="true"><img class="real" alt=""></div>
    <div class="meta"><span class="state"></span><progress max="1" value="0" hidden></progress>
    <span class="actions"><button type="button" class="edit" aria-expanded="false">Edit alt text</button>
    <button type="button" class="del">Delete</button></span></div>
    <form class="alt-edit" hidden><label class="alt-field">Alt text
      <input name="alt" type="text" autocomplete="off" maxlength="1000"></label>
      <span class="alt-buttons"><button type="submit">Save</button><button type="button" class="cancel">Cancel</button></span>
      <p class="alt-error" role="alert" hidden></p></form>`;
  li.querySelector('.del').onclick = async () => {
    try {
      const res = await fetch('/api/images/' + encodeURIComponent(id), {method: 'DELETE', headers: authHeaders()});
      if (res.status === 401) needToken();
    } catch { /* offline: nothing deleted, and the card stays to say so */ }
  };
  altEditor(li, id);
  cards.set(id, li);
  $('#gallery').prepend(li);
  return li;
}

// setAlt gives a card's two images the same alt text: the user's, or the
// title (the file name) when they gave none.
function setAlt(li, text) {
  for (const img of li.querySelectorAll('.frame img')) img.alt = text;
}

// setText keeps a card's title and alt text (the editor starts from the
// stored alt text, not from the title shown in its place) and shows them.
function setText(li, img) {
  li.dataset.title = img.title || '';
  li.dataset.alt = img.alt || '';
  setAlt(li, img.alt || img.title || '');
}

// altEditor wires a card's "Edit alt text" button to its inline form: the
// button opens it with the stored alt text; Enter (the form's submit) saves
// it with PATCH, Escape or Cancel closes it unchanged, and either way the
// focus goes back to the button. The card shows the new text once the
// server has stored it; every other gallery learns it from image.updated.
function altEditor(li, id) {
  const edit = li.querySelector('.edit'), form = li.querySelector('.alt-edit');
  const input = form.elements.alt, save = form.querySelector('[type=submit]'), error = form.querySelector('.alt-error');
  const close = () => {
    form.hidden = true;
    edit.setAttribute('aria-expanded', 'false');
    edit.focus();
  };
  edit.onclick = () => {
    if (!form.hidden) return input.focus();
    input.value = li.dataset.alt || '';
    error.hidden = true;
    form.hidden = false;
    edit.setAttribute('aria-expanded', 'true');
    input.focus();
    input.select();
  };
  form.querySelector('.cancel').onclick = close;
  form.onkeydown = (e) => { if (e.key === 'Escape') { e.preventDefault(); close(); } };
  form.onsubmit = async (e) => {
    e.preventDefault();
    save.disabled = true;
    try {
      setText(li, await saveAlt(id, input.value.trim()));
      close();
    } catch (err) {
      // Kept open with the text typed, so nothing is lost: say why.
      error.textContent = `Not saved: ${err.message}`;
      error.hidden = false;
    } finally {
      save.disabled = false;
    }
  };
}

// saveAlt stores an image's alt text (PATCH /api/images/{id}) and returns
// the image as the server has it.
async function saveAlt(id, alt) {
  let res;
  try {
    res = await fetch('/api/images/' + encodeURIComponent(id), {method: 'PATCH',
      headers: {'Content-Type': 'application/json', ...authHeaders()}, body: JSON.stringify({alt})});
  } catch {
    throw new Error('offline');
  }
  if (res.status === 401) needToken();
  if (!res.ok) {
    let msg = res.statusText;
    try { msg = (await res.json()).error || msg; } catch { /* not JSON: a proxy's page */ }
    throw Object.assign(new Error(msg), {status: res.status});
  }
  return res.json();
}

// keepAlt puts the alt text typed for an upload on the image the upload
// turned out to be already (the same bytes with the same options are one
// image: the server stored nothing, this text included). Without it the
// description would be lost without a word. Nothing typed is nothing to
// keep, and must not clear the text the image has.
function keepAlt(id, alt, stored) {
  if (!alt || alt === stored) return;
  saveAlt(id, alt).then((img) => { const li = cards.get(id); if (li) setText(li, img); })
    .catch((e) => console.warn(`svgtrace: alt text of ${id} not saved:`, e.message));
}

function upsert(img) {
  const li = card(img.id);
  li.style.setProperty('--ratio', `${img.width} / ${img.height}`);
  setText(li, img);
  const real = li.querySelector('.real');
  if (!real.src) {
    real.onload = () => real.classList.add('loaded');
    real.src = img.original;
  }
  if (img.placeholder) placeholder(img.id, img.placeholder);
  status(img.id, img.status === 'traced' ? '' : img.status === 'failed' ? 'failed: ' + img.error : 'tracing…');
}

function placeholder(id, url) {
  const li = card(id);
  const ph = li.querySelector('.ph');
  if (ph.getAttribute('src') !== url) ph.src = url;
  status(id, '');
  li.querySelector('progress').hidden = true;
}

function progress(id, fraction, stage) {
  const p = card(id).querySelector('progress');
  p.hidden = false;
  p.value = fraction;
  status(id, stage);
}

function status(id, text) { card(id).querySelector('.state').textContent = text; }

// notice says why a file was not added, without a blocking alert(): a line
// under the drop zone, announced by screen readers (the list is a live
// region), until its Dismiss button is pressed. Only the latest
// maxNotices stay, so a drop of many refused files does not fill the page.
const maxNotices = 10;
function notice(text) {
  const list = $('#notices');
  const li = document.createElement('li');
  const msg = document.createElement('span');
  msg.textContent = text;
  const dismiss = document.createElement('button');
  dismiss.type = 'button';
  dismiss.textContent = 'Dismiss';
  dismiss.setAttribute('aria-label', `Dismiss: ${text}`);
  dismiss.onclick = () => { li.remove(); $('#drop').focus(); };
  li.append(msg, ' ', dismiss);
  list.append(li);
  while (list.children.length > maxNotices) list.firstElementChild.remove();
}

// ---- uploading -----------------------------------------------------------

async function sha256(blob) {
  const d = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function upload(form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/images');
    if (token) xhr.setRequestHeader('Authorization', 'Bearer ' + token);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      if (xhr.status === 202) return resolve(JSON.parse(xhr.responseText));
      if (xhr.status === 401) needToken();
      let msg = xhr.statusText;
      try { msg = JSON.parse(xhr.responseText).error || msg; } catch { /* not JSON: a proxy's page */ }
      reject(Object.assign(new Error(msg), {status: xhr.status}));
    };
    xhr.onerror = () => reject(new Error('offline'));
    xhr.send(form);
  });
}

// add uploads one file with its alt text ('' when the user gave none: the
// gallery then shows the file name, which goes as the title).
async function add(file, alt) {
  const options = currentOptions();
  let bitmap;
  try { bitmap = await createImageBitmap(file); } catch { return notice(`${file.name} was not added: it is not an image this browser reads.`); }
  const fields = {contentHash: await sha256(file), bytes: file.size, width: bitmap.width, height: bitmap.height, mime: file.type, options};
  bitmap.close();
  let a;
  try {
    a = await plan(fields);
  } catch (e) {
    // Refused for want of the token: the file waits in the outbox for it
    // (needToken has asked). Refused for itself (too large, bad options):
    // say why. Otherwise a network failure: the outbox keeps it for later.
    if (e.code === 'unauthorized') { needToken(); return keepOffline(file, options, alt); }
    if (e.code) return notice(`${file.name} was not added: ${e.message}.`);
    return keepOffline(file, options, alt);
  }
  if (a.existing) {
    // Nothing to upload; the server keeps its bytes and trace.
    keepAlt(a.imageId, alt);
    return;
  }
  const li = card(a.imageId);
  li.style.setProperty('--ratio', `${fields.width} / ${fields.height}`);
  setText(li, {title: file.name, alt}); // now, before the hub's image.added says the same
  status(a.imageId, 'uploading');
  const bar = li.querySelector('progress');
  bar.hidden = false;
  const traced = a.tracer === 'client' && tracer ? tracer.trace(file, a.options) : null;
  const form = new FormData();
  form.append('file', file);
  form.append('title', file.name);
  form.append('alt', alt);
  form.append('id', a.imageId);
  form.append('options', JSON.stringify(options));
  try {
    const [img] = (await upload(form, (f) => { bar.value = f; })).images;
    if (!img.created) keepAlt(img.id, alt, img.alt); // someone else's upload of the same bytes came first
  } catch (e) {
    if (e.message === 'offline') return keepOffline(file, options, alt);
    if (e.status === 401) {
      // The hub took the plan but the upload lacks the token (changed in
      // between): the reservation will not be used, the outbox keeps the file.
      li.remove();
      cards.delete(a.imageId);
      return keepOffline(file, options, alt);
    }
    status(a.imageId, e.message);
    return;
  }
  if (traced) {
    const {svg, dataURI} = await traced;
    li.querySelector('.ph').src = dataURI; // at once, before the hub echoes it
    ws?.send(JSON.stringify({v: 1, type: 'result', imageId: a.imageId, assignmentId: a.assignmentId, svg}));
  }
}

// ---- offline ---------------------------------------------------------------

async function keepOffline(file, options, alt) {
  let svg = '';
  if (tracer) {
    try { svg = (await tracer.trace(file, options)).svg; } catch { /* the server traces it on sync */ }
  }
  await outbox.put({opId: crypto.randomUUID(), name: file.name, file, options, svg, alt});
  renderOutbox();
}

// outboxItems: the outbox's list items by opId. Kept across renders, so an
// alt text being typed keeps its focus and caret when another file joins the
// outbox or one syncs.
const outboxItems = new Map();

async function renderOutbox() {
  const items = await outbox.all();
  const ul = $('#outbox ul');
  const live = new Set(items.map((it) => it.opId));
  for (const [opId, li] of outboxItems) if (!live.has(opId)) { li.remove(); outboxItems.delete(opId); }
  ul.replaceChildren(...items.map((it) => outboxItems.get(it.opId) || outboxItem(it)));
  $('#outbox').hidden = items.length === 0;
}

// outboxItem renders a waiting file: its trace, its name, and its alt text,
// editable until it syncs (each edit is saved in IndexedDB at once, so a
// sync or a closed tab does not lose it).
function outboxItem(it) {
  const li = document.createElement('li');
  const img = document.createElement('img');
  img.alt = ''; // decorative: the name and the alt text beside it say which image it is
  img.height = 48;
  if (it.svg) img.src = 'data:image/svg+xml,' + encodeURIComponent(it.svg);
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = it.name;
  // The visible caption is CSS content (data-caption), so the item's text
  // stays the file name; the input's own name says which file it is for.
  const label = document.createElement('label');
  label.className = 'alt-field';
  label.dataset.caption = 'Alt text';
  const input = document.createElement('input');
  input.type = 'text';
  input.autocomplete = 'off';
  input.maxLength = 1000;
  input.value = it.alt || '';
  input.placeholder = it.name;
  input.setAttribute('aria-label', `Alt text for ${it.name}`);
  input.oninput = () => outbox.update(it.opId, {alt: input.value.trim()});
  label.append(input);
  // A file that cannot sync (a refused token, a file the user changed
  // their mind about) can be dropped: it is only in this browser.
  const remove = document.createElement('button');
  remove.type = 'button';
  remove.className = 'remove';
  remove.textContent = 'Remove';
  remove.setAttribute('aria-label', `Remove ${it.name} without uploading it`);
  remove.onclick = async () => {
    await outbox.remove(it.opId);
    renderOutbox();
    $('#drop').focus(); // the item and its button are gone: focus where files are added
  };
  li.append(img, ' ', name, ' ', label, ' ', remove);
  outboxItems.set(it.opId, li);
  return li;
}

let syncing = false, syncAgain = false;
async function syncOutbox() {
  if (syncing) { syncAgain = true; return; } // once more when this run ends
  syncing = true;
  syncAgain = false;
  try {
    for (const {opId} of await outbox.all()) {
      // Read again: the alt text may have been edited since the list was read.
      const it = await outbox.get(opId);
      if (!it) continue;
      // From here the request carries this alt text: stop edits that could
      // not go with it.
      const input = outboxItems.get(opId)?.querySelector('input');
      const remove = outboxItems.get(opId)?.querySelector('.remove');
      if (input) input.readOnly = true;
      if (remove) remove.disabled = true; // on its way: too late to drop
      const form = new FormData();
      form.append('file', it.file, it.name);
      form.append('title', it.name);
      form.append('alt', it.alt || '');
      form.append('options', JSON.stringify(it.options));
      form.append('opId', it.opId);
      if (it.svg) form.append('svg', it.svg);
      // Offline, a server error or no token (it may come later: upload
      // has asked for it): kept for the next sync.
      try {
        const [img] = (await upload(form, () => {})).images;
        // Uploaded meanwhile from elsewhere (or this is a replay): keep the
        // alt text typed here all the same.
        if (!img.created) keepAlt(img.id, it.alt, img.alt);
      } catch (e) {
        if (e.message === 'offline' || e.status >= 500 || e.status === 401) {
          if (input) input.readOnly = false;
          if (remove) remove.disabled = false;
          break;
        }
      }
      await outbox.remove(it.opId); // synced, or refused for good (the answer said why)
    }
  } finally {
    syncing = false;
    renderOutbox();
    if (syncAgain) syncOutbox();
  }
}

// ---- the page ----------------------------------------------------------------

function wire() {
  const drop = $('#drop');
  const files = $('#files');
  const altInput = $('#alt');
  // The last file chosen or dropped is the options panel's preview source.
  // The alt text typed before goes with the files of this choice, and is
  // cleared so that it does not describe a later, different image.
  const take = (list) => {
    if (list.length) { previewFile = list[0]; if ($('#options').open) preview(); }
    const alt = altInput.value.trim();
    if (list.length) altInput.value = '';
    for (const f of list) add(f, alt);
  };
  // Enter in the alt text opens the file chooser: describe, Enter, choose.
  $('#alt-form').onsubmit = (e) => { e.preventDefault(); files.click(); };
  files.onchange = () => { take(files.files); files.value = ''; };
  drop.onkeydown = (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); files.click(); } };
  drop.ondragover = (e) => { e.preventDefault(); drop.classList.add('over'); };
  drop.ondragleave = () => drop.classList.remove('over');
  drop.ondrop = (e) => { e.preventDefault(); drop.classList.remove('over'); take(e.dataTransfer.files); };
  const f = $('#opts').elements;
  f['threshold-auto'].onchange = () => { f.threshold.disabled = f['threshold-auto'].checked; preview(); };
  f['color-auto'].onchange = () => { f.color.disabled = f['color-auto'].checked; preview(); };
  $('#opts').oninput = () => preview();
  $('#options').ontoggle = () => { if ($('#options').open) preview(); };
  window.addEventListener('online', () => { connect(); syncOutbox(); });
  const tokenInput = $('#token');
  tokenInput.value = token;
  showToken();
  $('#token-form').onsubmit = (e) => { e.preventDefault(); setToken(tokenInput.value.trim()); };
  $('#token-clear').onclick = () => { tokenInput.value = ''; setToken(''); tokenInput.focus(); };
  // A socket can outlive the network; close it so new files go to the outbox.
  window.addEventListener('offline', () => disconnected());
}

// The options panel previews its options on the last image chosen, traced
// here at once (nothing is uploaded).
let previewFile = null;
let previewAbort = null;
async function preview() {
  if (!tracer || !previewFile) return;
  previewAbort?.abort();
  previewAbort = new AbortController();
  try {
    const {dataURI} = await tracer.trace(previewFile, currentOptions(), {signal: previewAbort.signal});
    $('#preview').hidden = false;
    $('#preview img').src = dataURI;
  } catch { /* cancelled by a newer preview, or invalid options being typed */ }
}

// started: the first connection is made (after the tracer's start); a
// token saved before then goes with it rather than reconnecting early.
let started = false;

if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(() => {});
wire();
renderOutbox();
// The hello says whether this browser traces, so wait for the module, but
// not for long: a slow load means the server traces this session's files.
await Promise.race([startTracer(), new Promise((r) => setTimeout(r, 5000))]);
started = true;
connect();
