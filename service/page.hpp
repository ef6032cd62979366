// GET /: one self-contained page (no external resources) that shows the cluster as this node and
// its fellow replicas report it (their /v1/status, which allows any origin), refreshed every
// second: the members and their roles, the leader, each replica's slots, the latest commands.
#pragma once

#include <string_view>

namespace paxos::service {

inline constexpr std::string_view kStatusPage = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>paxos-cpp</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}
th{background:#f3f3f3}.leader{font-weight:bold;color:#060}.down{color:#a00}
pre{background:#f7f7f7;padding:8px}
</style></head><body>
<h1>paxos-cpp key-value service</h1>
<p>This node: <span id="self">…</span>. Leader: <span id="leader">…</span>.
Updated <span id="updated">never</span>.</p>
<table id="members"><thead><tr><th>uid</th><th>role</th><th>http</th><th>applied</th>
<th>committed</th><th>snapshot</th><th>keys</th><th>state</th></tr></thead><tbody></tbody></table>
<h2>Latest commands applied here</h2><pre id="recent"></pre>
<script>
async function status(base) {
  const r = await fetch(base + '/v1/status', {cache: 'no-store'});
  return r.json();
}
async function refresh() {
  try {
    const me = await status('');
    document.getElementById('self').textContent = 'uid ' + me.uid;
    document.getElementById('leader').textContent = me.leader === null ? 'none known' : 'uid ' + me.leader;
    const rows = await Promise.all(me.members.map(async m => {
      if (!m.http) return {m};
      if (m.uid === me.uid) return {m, s: me};
      try { return {m, s: await status('http://' + m.http)}; } catch (e) { return {m, down: true}; }
    }));
    const body = document.querySelector('#members tbody');
    body.innerHTML = '';
    for (const {m, s, down} of rows) {
      const tr = document.createElement('tr');
      if (m.uid === me.leader) tr.className = 'leader';
      const cells = [m.uid, m.role + (m.uid === me.leader ? ' (leader)' : ''), m.http || '',
        s ? s.applied : '', s ? s.committed : '', s ? s.snapshot : '', s ? s.keys : '',
        down ? 'unreachable' : s ? 'up' : ''];
      for (const c of cells) { const td = document.createElement('td'); td.textContent = c; tr.appendChild(td); }
      if (down) tr.className = 'down';
      body.appendChild(tr);
    }
    document.getElementById('recent').textContent = me.recent.slice().reverse().join('\n');
    document.getElementById('updated').textContent = new Date().toLocaleTimeString();
  } catch (e) {
    document.getElementById('updated').textContent = 'failed: ' + e;
  }
}
refresh();
setInterval(refresh, 1000);
</script></body></html>
)html";

}  // namespace paxos::service
