// Structure of a weft trace (Chrome Trace Event JSON), for the Node and the
// browser suites: on every track each "E" closes a "B", properly nested,
// timestamps never go back, every flow end has a start. Throws on the first
// problem; returns { begins, dropped }.
export function checkTrace(doc) {
  if (!doc || !Array.isArray(doc.traceEvents)) throw new Error('trace: no traceEvents');
  const open = new Map();
  const last = new Map();
  const begins = [];
  const starts = new Set();
  const ends = [];
  for (const e of doc.traceEvents) {
    if (e.ph === 'B' || e.ph === 'E') {
      if (e.ts < (last.get(e.tid) ?? 0)) throw new Error(`trace: track ${e.tid} goes back in time at ${e.ts}`);
      last.set(e.tid, e.ts);
      if (!open.has(e.tid)) open.set(e.tid, []);
      const st = open.get(e.tid);
      if (e.ph === 'B') {
        st.push(e);
        begins.push(e);
      } else if (!st.length) {
        throw new Error(`trace: track ${e.tid}: an end with no begin at ${e.ts}`);
      } else {
        st.pop();
      }
    } else if (e.ph === 's') {
      starts.add(e.id);
    } else if (e.ph === 'f') {
      ends.push(e.id);
    }
  }
  for (const [tid, st] of open) if (st.length) throw new Error(`trace: track ${tid}: ${st.length} begins never end`);
  for (const id of ends) if (!starts.has(id)) throw new Error(`trace: flow ${id} ends without a start`);
  const dropped = (doc.otherData?.dropped ?? []).reduce((a, b) => a + b, 0);
  return { begins, dropped };
}
