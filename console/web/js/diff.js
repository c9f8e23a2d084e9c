// A readable diff of two JSON documents: one row per changed leaf path, with the value before
// and after ("post.url", "caps.leads[0].limit"). Arrays of entities with ids are matched by id.
export function diff(before, after, path = '', out = []) {
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  if (same(before, after)) return out;
  const isObj = v => v !== null && typeof v === 'object' && !Array.isArray(v);
  // A created or removed entity: one row per setting it has.
  if ((before === null || before === undefined) && isObj(after)) return diff({}, after, path, out);
  if (isObj(before) && (after === null || after === undefined)) return diff(before, {}, path, out);
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    for (const k of keys) diff(before[k], after[k], path ? `${path}.${k}` : k, out);
    return out;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const byId = a => a.every(x => isObj(x) && (x.id !== undefined || x.name !== undefined));
    if (byId(before) && byId(after)) {
      const key = x => (x.id !== undefined ? `id=${x.id}` : `name=${x.name}`);
      const mb = new Map(before.map(x => [key(x), x]));
      const ma = new Map(after.map(x => [key(x), x]));
      for (const k of new Set([...mb.keys(), ...ma.keys()])) diff(mb.get(k), ma.get(k), `${path}[${k}]`, out);
      return out;
    }
    if (before.length === after.length && before.every(x => typeof x === 'object' && x !== null)) {
      before.forEach((x, i) => diff(x, after[i], `${path}[${i}]`, out));
      return out;
    }
  }
  out.push({ path: path || '(whole)', before, after });
  return out;
}

export const show = v => (v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));
