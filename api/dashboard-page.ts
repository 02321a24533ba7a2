// The dashboard: one self-contained page (no CDN, no build step) that polls this node's
// /dashboard.json and the cluster's /binlog/syncer/status every 2 s. With an admin token, open
// it as /#token=… once: the token moves to sessionStorage and leaves the address bar. Every value
// is written with textContent, never as HTML.
export const DASHBOARD_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>binrelay</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1rem 2rem;color:#222}
h1{font-size:1.3rem}h2{font-size:1rem;margin:1.2rem 0 .4rem}
table{border-collapse:collapse}td,th{padding:.15rem .6rem;border-bottom:1px solid #ddd;text-align:left}
.err{color:#b00}.muted{color:#777}svg{background:#f7f7f7}
#auth{display:none}
</style></head><body>
<h1>binrelay — <span id="node">…</span></h1>
<form id="auth">Admin token: <input id="token" type="password"> <button>Use</button></form>
<p>role <b id="role">…</b>, term <span id="term"></span>, leader <b id="leader">…</b>, applied <span id="applied"></span>/<span id="commit"></span></p>
<h2>Members</h2><table id="members"><thead><tr><th>name</th><th>role</th><th>peer</th><th>admin</th></tr></thead><tbody></tbody></table>
<h2>Syncer</h2><p id="syncer">…</p><p class="err" id="syncer-error"></p>
<h2>Replicas of this node</h2><table id="replicas"><thead><tr><th>server_id</th><th>from</th><th>mode</th><th>position</th><th>lag bytes</th><th>lag s</th></tr></thead><tbody></tbody></table>
<h2>Throughput (last minutes)</h2>
<p>ingest <span id="ingest-now"></span>/s<br><svg id="ingest" width="480" height="60"></svg></p>
<p>serving <span id="served-now"></span>/s<br><svg id="served" width="480" height="60"></svg></p>
<h2>Binlog files (<span id="retained"></span> retained)</h2><table id="files"><thead><tr><th>file</th><th>size</th></tr></thead><tbody></tbody></table>
<h2>Recent errors</h2><table id="errors"><tbody></tbody></table>
<p class="muted">refreshed <span id="refreshed">never</span> · <a href="/docs">API</a> · <a href="/metrics">metrics</a></p>
<script>
const hash = new URLSearchParams(location.hash.slice(1));
if (hash.get('token')) { sessionStorage.setItem('binrelay-token', hash.get('token')); history.replaceState(null, '', location.pathname); }
const $ = (id) => document.getElementById(id);
const set = (id, v) => { $(id).textContent = v === null || v === undefined ? '—' : String(v); };
const bytes = (n) => n >= 1048576 ? (n / 1048576).toFixed(1) + ' MB' : n >= 1024 ? (n / 1024).toFixed(1) + ' KB' : Math.round(n) + ' B';
function rows(id, items, cells, key) {
  const body = $(id).tBodies[0];
  body.replaceChildren(...items.map((item) => {
    const tr = document.createElement('tr');
    if (key) tr.dataset.key = String(key(item));
    for (const c of cells(item)) { const td = document.createElement('td'); td.textContent = c === null || c === undefined ? '—' : String(c); tr.append(td); }
    return tr;
  }));
}
function chart(id, values) {
  const svg = $(id); const w = 480, h = 60, max = Math.max(1, ...values);
  const pts = values.map((v, i) => (values.length < 2 ? 0 : i * w / (values.length - 1)).toFixed(1) + ',' + (h - 2 - v / max * (h - 4)).toFixed(1)).join(' ');
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
  line.setAttribute('points', pts); line.setAttribute('fill', 'none'); line.setAttribute('stroke', '#36c'); line.setAttribute('stroke-width', '2');
  svg.replaceChildren(line);
}
async function get(path) {
  const token = sessionStorage.getItem('binrelay-token');
  const res = await fetch(path, { headers: token ? { authorization: 'Bearer ' + token } : {} });
  if (res.status === 401) { $('auth').style.display = 'block'; throw new Error('admin token needed'); }
  const body = await res.json();
  if (!res.ok) throw new Error(body.message);
  return body.data;
}
$('auth').addEventListener('submit', (e) => { e.preventDefault(); sessionStorage.setItem('binrelay-token', $('token').value); $('auth').style.display = 'none'; refresh(); });
async function refresh() {
  try {
    const d = await get('/dashboard.json');
    set('node', d.node.name); set('role', d.node.role); set('term', d.node.term); set('leader', d.node.leader);
    set('applied', d.node.appliedIndex); set('commit', d.node.commitIndex);
    rows('members', d.members, (m) => [m.name, m.isLeader ? 'leader' : m.isLearner ? 'learner' : 'voter', m.peerURLs.join(' '), m.adminURLs.join(' ')], (m) => m.name);
    const lag = new Map(d.replica_lag.map((l) => [l.server_id, l]));
    rows('replicas', d.server.slaves, (r) => [r.server_id, r.remote_addr, r.mode, r.mode === 'gtid' && r.gtid ? r.gtid : (r.file ?? '') + ':' + (r.position ?? ''),
      lag.get(r.server_id)?.bytes, lag.get(r.server_id)?.seconds], (r) => r.server_id);
    rows('files', d.server.binlog_files, (f) => [f.name, bytes(f.size)]);
    set('retained', bytes(d.server.binlog_files.reduce((s, f) => s + f.size, 0)));
    chart('ingest', d.throughput.map((p) => p.ingest_bytes_per_s)); chart('served', d.throughput.map((p) => p.served_bytes_per_s));
    const last = d.throughput[d.throughput.length - 1];
    set('ingest-now', last ? bytes(last.ingest_bytes_per_s) : null); set('served-now', last ? bytes(last.served_bytes_per_s) : null);
    rows('errors', d.recent_errors.slice(0, 15), (e) => [e.at, e.level, e.event, e.message]);
    try {
      const s = await get('/binlog/syncer/status');
      set('syncer', s.status + ' · upstream ' + (s.current_upstream ?? s.mysql_addr ?? '—') + ' · ' + (s.flavor ?? '') + ' · lag ' + (s.lag_seconds === null ? 'unknown' : s.lag_seconds + ' s') + ' · at ' + (s.last_binlog_file ?? '—') + ':' + (s.last_file_position ?? '—'));
      set('syncer-error', s.last_error ?? '');
    } catch (e) { set('syncer', 'unknown: ' + e.message); }
    set('refreshed', new Date().toLocaleTimeString());
  } catch (e) { set('refreshed', 'failed: ' + e.message); }
}
refresh(); setInterval(refresh, 2000);
</script></body></html>`;
