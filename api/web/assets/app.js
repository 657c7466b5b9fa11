// Regent web interface: plain JavaScript, no dependencies. Every write goes
// through the JSON API (POST, same origin); reads use the API and /web/api.
'use strict';
(function () {
  const B = document.body.dataset;
  const P = B.prefix || '';
  const canWrite = B.write === 'true';
  const content = document.getElementById('content');
  const notice = document.getElementById('notice');

  // el builds an element; children are nodes or text (never parsed as HTML).
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'class') e.className = v;
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of kids.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
    return e;
  }
  const enc = encodeURIComponent;
  const hp = (key) => { const i = key.lastIndexOf(':'); return enc(key.slice(0, i)) + '/' + enc(key.slice(i + 1)); };
  const fmtTime = (t) => { const d = new Date(t); return isNaN(d) || d.getFullYear() < 2000 ? '' : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'); };

  async function getJSON(path) {
    const r = await fetch(P + path, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
    let body = null;
    try { body = await r.json(); } catch (e) { throw new Error(path + ': HTTP ' + r.status); }
    if (body && body.Error) throw new Error(body.Error);
    if (!r.ok && body && body.Code === 'ERROR') throw new Error(body.Message);
    if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
    return body && body.Details !== undefined && path.startsWith('/web/api/') ? body.Details : body;
  }
  // write runs an API write (POST, same origin) and returns its envelope.
  async function write(path) {
    const r = await fetch(P + path, { method: 'POST', credentials: 'same-origin', headers: { Accept: 'application/json' } });
    let body;
    try { body = await r.json(); } catch (e) { body = { Code: 'ERROR', Message: 'HTTP ' + r.status }; }
    if (!r.ok && body.Code !== 'ERROR') body = { Code: 'ERROR', Message: body.Message || ('HTTP ' + r.status) };
    return body;
  }
  function say(node, text, ok) {
    node.replaceChildren(el('p', { class: ok ? 'msg-ok' : 'msg-err' }, text));
  }

  // keepFocus redraws with fn and gives the focus back to the element of
  // the same data-fid (a live redraw must not take a keyboard user's place).
  function keepFocus(fn) {
    const a = document.activeElement;
    const id = a && a.dataset ? a.dataset.fid : undefined;
    fn();
    if (id) { const n = document.querySelector('[data-fid="' + CSS.escape(id) + '"]'); if (n) n.focus(); }
  }
  // unchanged reports whether a page's data is what it drew last time (a
  // live redraw of the same data would only disturb the user).
  const sigs = {};
  function unchanged(key, data) {
    const sig = JSON.stringify(data);
    if (sigs[key] === sig) return true;
    sigs[key] = sig;
    return false;
  }
  // redraw runs fn keeping the focus and what the user typed in the page's
  // fields (by id).
  function redraw(fn) {
    const values = {};
    content.querySelectorAll('input[id], select[id]').forEach((i) => { values[i.id] = i.value; });
    keepFocus(fn);
    for (const [id, v] of Object.entries(values)) { const n = document.getElementById(id); if (n && content.contains(n)) n.value = v; }
  }
  // ---- dialog -------------------------------------------------------------
  const dlg = document.getElementById('dlg');
  const dlgTitle = document.getElementById('dlg-title');
  const dlgBody = document.getElementById('dlg-body');
  const dlgStatus = document.getElementById('dlg-status');
  document.getElementById('dlg-close').addEventListener('click', () => dlg.close());
  function openDialog(title, ...body) {
    dlgTitle.textContent = title;
    dlgBody.replaceChildren(...body);
    dlgStatus.replaceChildren();
    if (!dlg.open) dlg.showModal();
    const f = dlgBody.querySelector('button, select, input');
    if (f) f.focus();
  }
  // confirmThen shows what will happen and runs act on confirmation; the
  // outcome replaces the question.
  function confirmThen(title, lines, label, act) {
    const go = el('button', { class: 'primary', type: 'button', id: 'confirm-yes' }, label);
    const no = el('button', { type: 'button', id: 'confirm-no', onclick: () => dlg.close() }, 'Cancel');
    openDialog(title, ...lines.map((l) => el('p', {}, l)), el('div', { class: 'controls' }, go, no));
    go.addEventListener('click', async () => {
      go.disabled = true; no.disabled = true;
      dlgStatus.replaceChildren(el('p', {}, 'Running…'));
      try {
        const res = await act();
        say(dlgStatus, (res.Code === 'OK' ? 'Done: ' : 'Refused: ') + res.Message, res.Code === 'OK');
      } catch (e) { say(dlgStatus, 'Failed: ' + e.message, false); }
      no.disabled = false; no.textContent = 'Close'; no.focus();
      refreshSoon();
    });
  }
  function confirmWrite(title, question, path) {
    confirmThen(title, [question], 'Confirm', () => write(path));
  }

  // ---- live updates ---------------------------------------------------------
  let refresh = async () => {};
  let busy = false, dirty = false;
  async function refreshSoon() {
    if (busy) { dirty = true; return; }
    busy = true;
    try { await refresh(); } catch (e) { notice.replaceChildren(el('p', { class: 'msg-err' }, e.message)); }
    busy = false;
    if (dirty) { dirty = false; refreshSoon(); }
  }
  function connect() {
    const live = document.getElementById('live');
    // The dashboard of a large fleet need not redraw more than every 2 s.
    const es = new EventSource(P + '/web/stream?every=' + (B.page === 'clusters' ? 2000 : 400));
    es.addEventListener('hello', () => {
      live.textContent = 'live'; live.classList.remove('off');
      refreshSoon(); // what folded before the stream (or while reconnecting) was not announced
    });
    es.addEventListener('change', () => refreshSoon());
    es.onerror = () => { live.textContent = 'reconnecting'; live.classList.add('off'); };
  }

  // ---- clusters dashboard ---------------------------------------------------
  async function clustersPage() {
    const [infos, problems, masters, global] = await Promise.all([
      getJSON('/api/clusters-info'), getJSON('/api/problems'), getJSON('/api/masters'), getJSON('/api/check-global-recoveries')]);
    if (unchanged('clusters', [infos, problems.map((p) => [p.Key, p.ClusterName, p.Problems]), masters.map((m) => [m.Key, m.ClusterName]), global.Details])) return;
    const byCluster = {};
    for (const p of problems) (byCluster[p.ClusterName] = byCluster[p.ClusterName] || []).push(p);
    const primary = {};
    for (const m of masters) primary[m.ClusterName] = m.Key.Hostname + ':' + m.Key.Port;
    const enabled = global.Details === 'enabled';
    const sw = el('p', {}, el('span', { class: 'badge ' + (enabled ? 'ok' : 'bad'), id: 'global-recoveries' }, 'global recoveries ' + (enabled ? 'enabled' : 'disabled')), ' ',
      canWrite ? el('button', { type: 'button', id: 'toggle-global', class: enabled ? 'danger' : '',
        onclick: () => confirmWrite(enabled ? 'Disable global recoveries' : 'Enable global recoveries',
          enabled ? 'Regent will detect failures but recover nothing until recoveries are enabled again.' : 'Regent will recover detected failures again.',
          enabled ? '/api/disable-global-recoveries' : '/api/enable-global-recoveries') }, enabled ? 'Disable recoveries' : 'Enable recoveries') : null);
    const rows = infos.map((c) => {
      const probs = byCluster[c.ClusterName] || [];
      const badges = probs.length ? probs.map((p) => el('span', { class: 'badge bad' }, p.Key.Hostname + ':' + p.Key.Port + ' ' + (p.Problems || []).join(','))) : [el('span', { class: 'badge ok' }, 'ok')];
      return el('tr', { 'data-cluster': c.ClusterName },
        el('td', {}, el('a', { href: P + '/web/cluster/' + enc(c.ClusterName) }, c.ClusterName)),
        el('td', {}, c.ClusterAlias), el('td', { class: 'primary' }, primary[c.ClusterName] || '—'),
        el('td', { class: 'count' }, c.CountInstances), el('td', {}, badges));
    });
    const table = el('table', { id: 'clusters' }, el('caption', { class: 'sr' }, 'Clusters'),
      el('thead', {}, el('tr', {}, ['Cluster', 'Alias', 'Primary', 'Instances', 'Problems'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows));
    redraw(() => content.replaceChildren(sw, infos.length ? table : el('p', {}, 'No clusters yet: discover an instance.')));
  }

  // ---- cluster page ---------------------------------------------------------
  const tokenText = (n) => '[' + (n.Tokens || []).filter((t) => t !== '').join(',') + ']';
  function nodeBox(n, tree, live) {
    const cls = ['inst'];
    if ((n.Problems || []).length) cls.push('problem');
    if (n.Downtimed) cls.push('downtimed');
    if (n.Maintenance) cls.push('maint');
    const box = el('div', { class: cls.join(' '), tabindex: '0', role: 'button', 'data-key': n.KeyString, 'data-fid': (live ? 'inst:' : 'past:') + n.KeyString,
      'aria-label': n.KeyString + ' ' + tokenText(n) + ' — open instance dialog', draggable: canWrite && live ? 'true' : null },
      el('span', { class: 'key' }, (n.Depth > 0 ? (n.Replicating ? '+ ' : '- ') : '') + n.KeyString + (n.Alias ? ' (' + n.Alias + ')' : '')), ' ',
      el('span', { class: 'tokens' }, tokenText(n)),
      n.PromotionRule && n.PromotionRule !== 'neutral' ? el('span', { class: 'badge' }, n.PromotionRule) : null,
      n.Downtimed ? el('span', { class: 'badge warn' }, 'downtimed') : null,
      n.Maintenance ? el('span', { class: 'badge warn' }, 'maintenance') : null,
      (n.Problems || []).map((p) => el('span', { class: 'badge bad' }, p)));
    box.addEventListener('click', () => instanceDialog(n.KeyString, tree));
    box.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); instanceDialog(n.KeyString, tree); } });
    if (canWrite && live) dragAndDrop(box, n);
    return box;
  }
  function drawTree(tree, live) {
    const root = el('ul', { class: 'tree', id: 'tree', role: 'list', 'aria-label': 'Topology of ' + tree.Cluster });
    const stack = [root];
    for (const n of tree.Nodes) {
      stack.length = Math.min(stack.length, n.Depth + 1);
      let parent = stack[stack.length - 1];
      const li = el('li', {}, nodeBox(n, tree, live));
      parent.append(li);
      const ul = el('ul', { role: 'list' });
      li.append(ul);
      stack[n.Depth + 1] = ul;
    }
    root.querySelectorAll('ul:empty').forEach((u) => u.remove());
    return root;
  }
  let dragged = null;
  function dragAndDrop(box, n) {
    box.addEventListener('dragstart', (e) => { dragged = n.KeyString; box.classList.add('dragging'); e.dataTransfer.setData('text/plain', n.KeyString); e.dataTransfer.effectAllowed = 'move'; });
    box.addEventListener('dragend', () => { box.classList.remove('dragging'); dragged = null; });
    box.addEventListener('dragover', (e) => { if (dragged && dragged !== n.KeyString) { e.preventDefault(); box.classList.add('drop'); } });
    box.addEventListener('dragleave', () => box.classList.remove('drop'));
    box.addEventListener('drop', (e) => {
      e.preventDefault(); box.classList.remove('drop');
      const src = e.dataTransfer.getData('text/plain') || dragged;
      if (src && src !== n.KeyString) relocate(src, n.KeyString);
    });
  }
  // relocate asks the server what the move would do, shows it, and runs it
  // through the API on confirmation.
  async function relocate(key, dest) {
    let chk;
    try { chk = await getJSON('/web/api/relocate-check/' + hp(key) + '/' + hp(dest)); } catch (e) { openDialog('Relocate ' + key, el('p', { class: 'msg-err' }, e.message)); return; }
    if (!chk.OK) { openDialog('Relocate ' + key + ' below ' + dest, el('p', { class: 'msg-err', id: 'relocate-refused' }, 'Cannot relocate: ' + chk.Reason)); return; }
    const lines = [chk.Plan.Summary].concat((chk.Plan.Warnings || []).map((w) => 'Warning: ' + w));
    confirmThen('Relocate ' + key + ' below ' + dest, lines, 'Relocate', () => write('/api/relocate/' + hp(key) + '/' + hp(dest)));
  }

  let clusterName = B.arg;
  async function clusterPage() {
    const tree = await getJSON('/web/api/tree/' + enc(B.arg));
    clusterName = tree.Cluster;
    if (tree.FollowedFrom) {
      B.arg = tree.Cluster;
      history.replaceState(null, '', P + '/web/cluster/' + enc(tree.Cluster));
      notice.replaceChildren(el('p', { class: 'asof', id: 'followed' }, 'Recovery ' + tree.Recovery + ' replaced the primary of ' + tree.FollowedFrom + ': this is its cluster now, ' + tree.Cluster + '.'));
    }
    document.getElementById('title').textContent = 'Cluster ' + tree.Cluster + (tree.Alias && tree.Alias !== tree.Cluster ? ' (' + tree.Alias + ')' : '');
    if (!document.getElementById('tree-slot')) buildClusterLayout();
    const sig = JSON.stringify(Object.assign({}, tree, { At: '' })); // the view's time changes with every fold
    if (!asOf && sig !== lastTree) {
      lastTree = sig;
      const open = !!document.querySelector('#tree-slot details[open]');
      keepFocus(() => document.getElementById('tree-slot').replaceChildren(drawTree(tree, true),
        el('details', { open }, el('summary', {}, 'As text (regent-client -c topology)'), el('pre', { id: 'topology-text' }, tree.Text))));
    }
    await timelinePanel();
  }
  let asOf = null, lastTree = '', lastTimeline = '';
  function buildClusterLayout() {
    const slider = el('input', { type: 'range', id: 'at-slider', min: '-3600', max: '0', step: '1', value: '0', 'aria-describedby': 'at-label' });
    const label = el('output', { id: 'at-label', for: 'at-slider' }, 'now (live)');
    let timer = null;
    slider.addEventListener('input', () => {
      const s = Number(slider.value);
      label.textContent = s === 0 ? 'now (live)' : fmtTime(Date.now() + s * 1000) + ' (' + (-s) + ' s ago)';
      clearTimeout(timer);
      timer = setTimeout(() => showAt(s), 250);
    });
    const actions = canWrite ? el('div', { class: 'controls' },
      el('button', { type: 'button', id: 'graceful-takeover', onclick: takeoverDialog }, 'Graceful takeover…'),
      el('button', { type: 'button', id: 'recover', class: 'danger', onclick: recoverDialog }, 'Recover…')) : null;
    const whyAt = el('input', { type: 'datetime-local', id: 'why-at', step: '1' });
    content.replaceChildren(el('div', { class: 'layout' },
      el('section', { 'aria-label': 'Topology' },
        el('div', { class: 'panel slider' }, el('label', { for: 'at-slider' }, 'Topology at'), slider, label),
        el('div', { id: 'asof-slot' }), el('div', { id: 'tree-slot' })),
      el('aside', {},
        actions ? el('div', { class: 'panel' }, el('h2', {}, 'Operations'), actions) : null,
        el('div', { class: 'panel' }, el('h2', {}, 'Why'),
          el('div', { class: 'field' }, el('label', { for: 'why-at' }, 'Why did nothing happen at'), whyAt,
            el('button', { type: 'button', id: 'why-btn', onclick: () => whyNothing(whyAt.value) }, 'Explain')),
          el('div', { id: 'why-panel', 'aria-live': 'polite' })),
        el('div', { class: 'panel' }, el('h2', {}, 'Timeline'), el('ol', { class: 'tl', id: 'timeline' })))));
  }
  async function showAt(s) {
    const slot = document.getElementById('asof-slot');
    if (s === 0) { asOf = null; lastTree = ''; slot.replaceChildren(); refreshSoon(); return; }
    asOf = new Date(Date.now() + s * 1000).toISOString();
    try {
      const tree = await getJSON('/web/api/topology-at/' + enc(clusterName) + '?at=' + enc(asOf));
      slot.replaceChildren(el('p', { class: 'asof', id: 'asof' }, 'As Regent believed it at ' + fmtTime(tree.At) + ' — read-only; move the slider to the right end for live.'));
      document.getElementById('tree-slot').replaceChildren(drawTree(tree, false), el('pre', { id: 'topology-text' }, tree.Text));
    } catch (e) { slot.replaceChildren(el('p', { class: 'asof msg-err', id: 'asof' }, 'At ' + fmtTime(asOf) + ': ' + e.message)); document.getElementById('tree-slot').replaceChildren(); }
  }
  async function timelinePanel() {
    const t = await getJSON('/web/api/timeline/' + enc(clusterName));
    const sig = JSON.stringify(t.Entries);
    if (sig === lastTimeline) return;
    lastTimeline = sig;
    const ol = document.getElementById('timeline');
    const items = (t.Entries || []).slice().reverse().map((e) => el('li', { class: 'tl-' + e.Kind + (e.Failed ? ' failed' : '') },
      el('time', { datetime: e.At }, fmtTime(e.At) + ' · ' + e.Kind), e.Text, ' ',
      e.Kind === 'recovery' ? el('button', { type: 'button', class: 'why-recovery', 'data-fid': 'why:' + e.Recovery, onclick: () => whyRecovery(e.Recovery) }, 'Why this successor?') : null));
    keepFocus(() => ol.replaceChildren(...(items.length ? items : [el('li', {}, 'No detection or recovery in the recovery fold.')])));
  }
  async function whyRecovery(uid) {
    const panel = document.getElementById('why-panel');
    try {
      const y = await getJSON('/web/api/why-recovery/' + enc(uid));
      panel.replaceChildren(el('p', {}, 'Recovery ', el('strong', {}, y.UID), ': successor ', el('strong', { id: 'why-successor' }, y.Successor || 'none')),
        el('h3', {}, 'Chosen'), el('ul', { id: 'why-chosen' }, (y.Chosen || []).map((c) => el('li', {}, c.Key + ' — ' + c.Reason))),
        el('h3', {}, 'Not chosen'), el('ul', { id: 'why-rejected' }, (y.Rejected || []).map((c) => el('li', {}, c.Key + ' — ' + c.Reason))),
        el('details', {}, el('summary', {}, 'Full explanation'), el('pre', {}, y.Text)));
    } catch (e) { say(panel, e.message, false); }
  }
  async function whyNothing(local) {
    const panel = document.getElementById('why-panel');
    const at = local ? new Date(local).toISOString() : new Date().toISOString();
    try {
      const y = await getJSON('/web/api/why/' + enc(clusterName) + '?at=' + enc(at));
      panel.replaceChildren(el('pre', { id: 'why-text' }, y.Text));
    } catch (e) { say(panel, e.message, false); }
  }
  async function replicasOfPrimary() {
    const tree = await getJSON('/web/api/tree/' + enc(clusterName));
    const root = tree.Nodes.find((n) => n.Depth === 0);
    return { root, replicas: tree.Nodes.filter((n) => n.Depth === 1) };
  }
  async function takeoverDialog() {
    const { root, replicas } = await replicasOfPrimary();
    const sel = el('select', { id: 'takeover-dest' }, el('option', { value: '' }, 'Regent chooses'), replicas.map((r) => el('option', { value: r.KeyString }, r.KeyString)));
    const go = el('button', { type: 'button', class: 'primary', id: 'takeover-go' }, 'Continue');
    openDialog('Graceful takeover of ' + clusterName, el('p', {}, 'The primary ' + (root ? root.KeyString : '?') + ' is demoted and a replica promoted; writes stop briefly.'),
      el('div', { class: 'field' }, el('label', { for: 'takeover-dest' }, 'Promote'), sel), el('div', { class: 'controls' }, go));
    go.addEventListener('click', () => {
      const d = sel.value;
      const path = d ? '/api/graceful-master-takeover/' + enc(clusterName) + '/' + hp(d) : '/api/graceful-master-takeover-auto/' + enc(clusterName);
      confirmWrite('Graceful takeover of ' + clusterName, 'Promote ' + (d || 'the replica Regent chooses') + ' and demote ' + (root ? root.KeyString : 'the primary') + '?', path);
    });
  }
  async function recoverDialog() {
    const { root } = await replicasOfPrimary();
    if (!root) return;
    confirmWrite('Recover ' + root.KeyString, 'Run a recovery of ' + root.KeyString + ' now? It runs only if the analysis shows an actionable failure.', '/api/recover/' + hp(root.KeyString));
  }

  // ---- instance dialog ------------------------------------------------------
  async function instanceDialog(key, tree) {
    let inst;
    try { inst = await getJSON('/api/instance/' + hp(key)); } catch (e) { openDialog(key, el('p', { class: 'msg-err' }, e.message)); return; }
    const kv = el('dl', { class: 'kv' });
    const add = (k, v) => { if (v !== '' && v !== undefined && v !== null) kv.append(el('dt', {}, k), el('dd', {}, String(v))); };
    add('Version', inst.Version); add('Source', inst.MasterKey && inst.MasterKey.Hostname ? inst.MasterKey.Hostname + ':' + inst.MasterKey.Port : 'none');
    add('Read-only', inst.ReadOnly); add('Binlog format', inst.Binlog_format); add('GTID executed', inst.ExecutedGtidSet);
    add('Errant GTID', inst.GtidErrant); add('Lag (s)', inst.ReplicationLagSeconds && inst.ReplicationLagSeconds.Valid ? inst.ReplicationLagSeconds.Int64 : 'null');
    add('IO / SQL thread', inst.ReplicationIOThreadRuning + ' / ' + inst.ReplicationSQLThreadRuning); add('Last IO error', inst.LastIOError); add('Last SQL error', inst.LastSQLError);
    add('Promotion rule', inst.PromotionRule); add('Downtime', inst.IsDowntimed ? inst.DowntimeOwner + ': ' + inst.DowntimeReason + ' until ' + inst.DowntimeEndTimestamp : '');
    add('Maintenance', inst.IsInMaintenance ? inst.MaintenanceOwner + ': ' + inst.MaintenanceReason : ''); add('Problems', (inst.Problems || []).join(', '));
    add('Last seen', inst.LastSeenTimestamp);
    openDialog(key, kv, canWrite ? instanceControls(key, inst, tree) : el('p', {}, 'Read-only access: no controls.'));
  }
  function instanceControls(key, inst, tree) {
    const k = hp(key);
    const op = (label, path, q, cls) => el('button', { type: 'button', class: cls || '', 'data-op': path, onclick: () => confirmWrite(label + ' ' + key, q, '/api/' + path + '/' + k) }, label);
    const reason = el('input', { id: 'dt-reason', type: 'text', maxlength: '200', value: 'maintenance' });
    const dur = el('select', { id: 'dt-duration' }, ['10m', '30m', '1h', '24h'].map((d) => el('option', { value: d }, d)));
    const who = enc(document.querySelector('.user').textContent.replace(/ · read-only$/, '') || 'web');
    const rule = el('select', { id: 'rule' }, ['prefer', 'neutral', 'prefer_not', 'must_not', 'must'].map((r) => el('option', { value: r, selected: r === (inst.PromotionRule || 'neutral') }, r)));
    const dest = el('select', { id: 'relocate-dest' }, (tree ? tree.Nodes : []).filter((n) => n.KeyString !== key).map((n) => el('option', { value: n.KeyString }, n.KeyString)));
    const wrap = el('div', {},
      el('h3', {}, 'Replication'),
      el('div', { class: 'controls' }, op('Start replication', 'start-replica', 'Start both replication threads?'), op('Stop replication', 'stop-replica', 'Stop replication?', 'danger'),
        op('Restart replication', 'restart-replica', 'Restart replication?'), op('Detach', 'detach-replica', 'Detach from its source (the position is kept to reattach)?', 'danger'),
        op('Reattach', 'reattach-replica', 'Reattach to the source it was detached from?')),
      el('div', { class: 'controls' }, op('Set read-only', 'set-read-only', 'Set read_only=1?'), op('Set writeable', 'set-writeable', 'Set read_only=0? Two writable servers in one cluster split writes.', 'danger')),
      el('div', { class: 'field' }, el('label', { for: 'relocate-dest' }, 'Relocate below'), dest,
        el('button', { type: 'button', id: 'relocate-go', onclick: () => dest.value && relocate(key, dest.value) }, 'Check and relocate…')),
      el('h3', {}, 'Downtime and maintenance'),
      el('div', { class: 'field' }, el('label', { for: 'dt-reason' }, 'Reason'), reason, el('label', { for: 'dt-duration' }, 'for'), dur,
        el('button', { type: 'button', id: 'downtime-go', onclick: () => confirmWrite('Downtime ' + key, 'Downtime ' + key + ' for ' + dur.value + '? Regent will not recover it meanwhile.', '/api/begin-downtime/' + k + '/' + who + '/' + enc(reason.value || 'web') + '/' + dur.value) }, 'Begin downtime'),
        el('button', { type: 'button', id: 'maintenance-go', onclick: () => confirmWrite('Maintenance ' + key, 'Begin maintenance on ' + key + ' (10 minutes unless ended)?', '/api/begin-maintenance/' + k + '/' + who + '/' + enc(reason.value || 'web')) }, 'Begin maintenance')),
      el('div', { class: 'controls' }, op('End downtime', 'end-downtime', 'End the downtime?'), op('End maintenance', 'end-maintenance', 'End the maintenance?')),
      el('h3', {}, 'Promotion and inventory'),
      el('div', { class: 'field' }, el('label', { for: 'rule' }, 'Candidate rule'), rule,
        el('button', { type: 'button', id: 'rule-go', onclick: () => confirmWrite('Candidate rule of ' + key, 'Register ' + key + ' as ' + rule.value + '?', '/api/register-candidate/' + k + '/' + enc(rule.value)) }, 'Register')),
      el('div', { class: 'controls' }, op('Forget', 'forget', 'Forget ' + key + '? Regent stops watching it until it is discovered again.', 'danger'),
        inst.GtidErrant ? op('Errant GTID: inject empty', 'gtid-errant-inject-empty', 'Inject empty transactions for ' + inst.GtidErrant + ' on the primary?') : null,
        inst.GtidErrant ? op('Errant GTID: reset master', 'gtid-errant-reset-master', 'RESET MASTER on ' + key + ' and purge the errant set (MySQL only)?', 'danger') : null));
    return wrap;
  }

  // ---- audit pages ----------------------------------------------------------
  async function auditRecoveryPage() {
    const page = Number(new URLSearchParams(location.search).get('page') || 0);
    const list = await getJSON('/api/audit-recovery/' + page);
    if (unchanged('recoveries', list)) return;
    const rows = list.map((t) => el('tr', { 'data-uid': t.UID },
      el('td', {}, t.UID), el('td', {}, t.RecoveryStartTimestamp), el('td', {}, (t.AnalysisEntry || {}).Analysis),
      el('td', {}, el('a', { href: P + '/web/cluster/' + enc((t.AnalysisEntry || {}).ClusterDetails ? t.AnalysisEntry.ClusterDetails.ClusterName : '') }, ((t.AnalysisEntry || {}).ClusterDetails || {}).ClusterName || '')),
      el('td', {}, t.SuccessorKey ? t.SuccessorKey.Hostname + ':' + t.SuccessorKey.Port : '—'),
      el('td', {}, t.IsActive ? el('span', { class: 'badge warn' }, 'active') : t.IsSuccessful ? el('span', { class: 'badge ok' }, 'success') : el('span', { class: 'badge bad' }, 'failed')),
      el('td', {}, t.Acknowledged ? 'acknowledged by ' + t.AcknowledgedBy + ': ' + t.AcknowledgedComment : canWrite ? ackControl(t.UID) : 'not acknowledged')));
    redraw(() => content.replaceChildren(el('table', { id: 'recoveries' }, el('thead', {}, el('tr', {}, ['Recovery', 'Started', 'Analysis', 'Cluster', 'Successor', 'Outcome', 'Acknowledged'].map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, rows)),
      pager(page, list.length)));
  }
  function ackControl(uid) {
    const id = 'ack-' + uid;
    const c = el('input', { id, type: 'text', placeholder: 'comment', required: true, 'data-fid': id });
    return el('div', { class: 'field' }, el('label', { for: id, class: 'sr' }, 'Acknowledge comment for ' + uid), c,
      el('button', { type: 'button', class: 'ack', onclick: () => { if (!c.value.trim()) { c.focus(); return; } confirmWrite('Acknowledge ' + uid, 'Acknowledge recovery ' + uid + '?', '/api/ack-recovery/uid/' + enc(uid) + '?comment=' + enc(c.value.trim())); } }, 'Acknowledge'));
  }
  function pager(page, n) {
    return el('p', {}, page > 0 ? el('a', { href: '?page=' + (page - 1) }, '← newer') : null, ' ', n >= 20 ? el('a', { href: '?page=' + (page + 1) }, 'older →') : null);
  }
  async function auditDetectionPage() {
    const page = Number(new URLSearchParams(location.search).get('page') || 0);
    const list = await getJSON('/api/audit-failure-detection/' + page);
    if (unchanged('detections', list)) return;
    const rows = list.map((d) => el('tr', {},
      el('td', {}, d.UID), el('td', {}, d.RecoveryStartTimestamp), el('td', {}, (d.AnalysisEntry || {}).Analysis),
      el('td', {}, (d.AnalysisEntry || {}).AnalyzedInstanceKey ? d.AnalysisEntry.AnalyzedInstanceKey.Hostname + ':' + d.AnalysisEntry.AnalyzedInstanceKey.Port : ''),
      el('td', {}, d.Actionable ? 'actionable' : 'not actionable'), el('td', {}, d.Reason || (d.Cleared ? 'cleared ' + d.ClearedAt : '')),
      el('td', {}, (d.RecoveryUIDs || []).join(', '))));
    redraw(() => content.replaceChildren(el('table', { id: 'detections' }, el('thead', {}, el('tr', {}, ['Detection', 'Detected', 'Analysis', 'Instance', 'Actionable', 'Reason', 'Recoveries'].map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, rows)),
      pager(page, list.length)));
  }

  // ---- search, discover, status -----------------------------------------------
  async function searchPage() {
    if (!B.arg) { content.replaceChildren(el('p', {}, 'Type a host, alias or cluster in the search box.')); return; }
    let list;
    try { list = await getJSON('/api/search?s=' + enc(B.arg)); } catch (e) { list = []; }
    content.replaceChildren(el('p', {}, list.length + ' instance(s) match ', el('strong', {}, B.arg)),
      el('table', { id: 'results' }, el('thead', {}, el('tr', {}, ['Instance', 'Cluster', 'Version', 'Source'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, list.map((i) => el('tr', {}, el('td', {}, i.Key.Hostname + ':' + i.Key.Port),
          el('td', {}, el('a', { href: P + '/web/cluster/' + enc(i.ClusterName) }, i.ClusterName)), el('td', {}, i.Version),
          el('td', {}, i.MasterKey && i.MasterKey.Hostname ? i.MasterKey.Hostname + ':' + i.MasterKey.Port : '—'))))));
  }
  function discoverPage() {
    if (!canWrite) { content.replaceChildren(el('p', {}, 'Read-only access: discovery changes what Regent watches.')); return; }
    const host = el('input', { id: 'd-host', type: 'text', required: true, autocomplete: 'off' });
    const port = el('input', { id: 'd-port', type: 'number', min: '1', max: '65535', value: '3306', required: true });
    const out = el('div', { id: 'discover-out', role: 'status', 'aria-live': 'polite' });
    const form = el('form', {}, el('div', { class: 'field' }, el('label', { for: 'd-host' }, 'Host'), host, el('label', { for: 'd-port' }, 'Port'), port,
      el('button', { type: 'submit', class: 'primary' }, 'Discover')), out);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      out.replaceChildren(el('p', {}, 'Discovering…'));
      const res = await write('/api/discover/' + enc(host.value.trim()) + '/' + enc(port.value));
      say(out, res.Message, res.Code === 'OK');
      if (res.Code === 'OK' && res.Details && res.Details.ClusterName) out.append(el('p', {}, el('a', { href: P + '/web/cluster/' + enc(res.Details.ClusterName) }, 'Open cluster ' + res.Details.ClusterName)));
    });
    content.replaceChildren(form);
  }
  async function statusPage() {
    const [st, health, peers] = await Promise.all([
      fetch(P + '/api/status').then((r) => r.json()), fetch(P + '/api/raft-health').then((r) => r.json()), getJSON('/api/raft-peers')]);
    const d = st.Details || {};
    const kv = el('dl', { class: 'kv', id: 'status' });
    const add = (k, v) => kv.append(el('dt', {}, k), el('dd', {}, String(v)));
    add('This node', d.Token); add('Healthy (event log reachable and current)', d.Healthy ? 'yes' : 'no — ' + (d.Error || st.Message));
    add('Raft-style state', d.IsRaftLeader ? 'Leader' : d.RaftLeader ? 'Follower' : 'Candidate (no leader known)');
    add('Leader', d.RaftLeader || 'none'); add('Leader API', d.RaftLeaderURI || '—'); add('Event log health', typeof health === 'string' ? health : (health.Message || JSON.stringify(health)));
    add('Version', d.AppVersion); add('Uptime', d.Uptime);
    content.replaceChildren(kv, el('h2', {}, 'Nodes'), el('ul', { id: 'nodes' }, (peers || []).map((p) => el('li', {}, p, p === d.RaftLeader ? ' (leader)' : ''))));
  }

  const pages = { clusters: clustersPage, cluster: clusterPage, search: searchPage, 'audit-recovery': auditRecoveryPage,
    'audit-failure-detection': auditDetectionPage, discover: discoverPage, status: statusPage };
  refresh = async () => { await (pages[B.page] || clustersPage)(); content.setAttribute('aria-busy', 'false'); if (notice.querySelector('.msg-err')) notice.replaceChildren(); };
  refreshSoon();
  if (B.page !== 'discover' && B.page !== 'search') connect();
})();
