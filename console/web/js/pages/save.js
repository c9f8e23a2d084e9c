// Saving an edited document through the admin API: If-Match with the version it was read at, the
// API's problems shown next to their fields, a stale edit (412) shown and never overwritten.
import { api } from '../api.js';
import { h, clear, toast } from '../dom.js';

// A merge patch (RFC 7396) of the top-level keys that differ; removed keys become null.
export function mergePatch(before, after, keys) {
  const patch = {};
  for (const k of keys || [...new Set([...Object.keys(before), ...Object.keys(after)])]) {
    if (JSON.stringify(before[k]) === JSON.stringify(after[k])) continue;
    patch[k] = after[k] === undefined ? null : after[k];
  }
  return patch;
}

// state: {etag, original}; send(): Promise of api(); returns the saved document or null.
export async function save(state, editor, problems, send, reload) {
  clear(problems);
  try {
    const { data, etag } = await send();
    state.etag = etag;
    state.original = structuredClone(data);
    editor.showErrors({});
    toast(`Saved: version ${String(etag || '').replace(/"/g, '')}`);
    return data;
  } catch (e) {
    if (e.status === 412) {
      problems.append(h('div', { class: 'alert warn', role: 'alert' },
        'Someone changed the configuration since this page was loaded, so nothing was saved (your edits are still here). ',
        h('button', { type: 'button', onclick: reload }, 'Load the current version (drops these edits)')));
    } else {
      const unmatched = e.details ? editor.showErrors(e.details) : [];
      problems.append(h('div', { class: 'alert', role: 'alert' }, e.message,
        unmatched.length ? h('ul', {}, unmatched.map(([k, v]) => h('li', {}, `${k}: ${v}`))) : null));
    }
    return null;
  }
}
