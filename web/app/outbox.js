// The outbox: files traced while offline, kept in IndexedDB with their SVG
// and the alt text the user gave until they are uploaded (the alt text stays
// editable here until then, and on the image's card after). Each has a
// client operation id (opId) that makes the upload idempotent: a replay
// after a lost response creates nothing twice (docs/api.md).

const DB = 'svgtrace', STORE = 'outbox';

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, {keyPath: 'opId'});
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const out = fn(t.objectStore(STORE));
    t.oncomplete = () => { db.close(); resolve(out && out.result); };
    t.onerror = () => { db.close(); reject(t.error); };
  });
}

export const put = (item) => tx('readwrite', (s) => s.put(item));
export const remove = (opId) => tx('readwrite', (s) => s.delete(opId));
export const all = () => tx('readonly', (s) => s.getAll());
export const get = (opId) => tx('readonly', (s) => s.get(opId));

// update merges fields into the item opId, if it is still there, within one
// transaction: read and write together, so an edit (the alt text, typed
// while a sync runs) neither resurrects an item the sync removed nor loses
// the file the item holds.
export const update = (opId, fields) => tx('readwrite', (s) => {
  const req = s.get(opId);
  req.onsuccess = () => { if (req.result) s.put({...req.result, ...fields}); };
});
