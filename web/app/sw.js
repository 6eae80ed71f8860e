// The service worker: the app shell and the wasm come from the cache, so the
// gallery opens and traces offline; the API always goes to the network.
const CACHE = 'svgtrace-shell-v1';
const SHELL = ['/', '/app/app.css', '/app/app.js', '/app/outbox.js', '/embed/svgtrace.js',
  '/embed/worker.js', '/wasm/wasm_exec.js', '/wasm/svgtrace.wasm'];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname === '/ws') return;
  if (!SHELL.includes(url.pathname)) return;
  // Network first, so a new build is picked up; the cache when offline.
  e.respondWith(fetch(e.request).then((res) => {
    if (res.ok) { const copy = res.clone(); caches.open(CACHE).then((c) => c.put(e.request, copy)); }
    return res;
  }).catch(() => caches.match(e.request)));
});
