// wa-hooks inspector page. Plain JavaScript, no build step, nothing loaded
// from elsewhere. Text from requests is only ever set with textContent.
'use strict';

(function () {
  const meta = (n) => (document.querySelector('meta[name="inspector-' + n + '"]') || {}).content || '';
  const TOKEN = meta('token');
  const CAN_SIGN = meta('can-sign') === 'yes';
  const FORWARD = meta('forward');
  const LOCAL = meta('local');
  const REDACT = meta('redact') === 'yes';
  const MOCK = meta('mock') === 'yes'; // beside wa-hooks mock: the list holds the webhooks it posted
  const ROW_H = 28;
  const PAGE = 300;
  const FILTER_KEYS = ['field', 'kind', 'type', 'user', 'sig', 'q'];

  const $ = (id) => document.getElementById(id);
  const list = $('list'), spacer = $('spacer'), detailEl = $('detail'), form = $('filters');
  list.setAttribute('role', 'list');

  // State: the rows of the current filter, newest first, in two arrays so
  // that neither a live row nor an older page costs a copy of the list:
  // head holds live rows (oldest first), tail the pages loaded (newest first).
  let head = [], tail = [];
  let byRow = new Map();
  const MAX_ROWS = 50000; // what the page keeps; older ones are fetched again when scrolled to
  const total = () => head.length + tail.length;
  const rowAt = (i) => (i < head.length ? head[head.length - 1 - i] : tail[i - head.length]);
  let more = false, loading = false, current = -1, openID = 0, openDetail = null;
  let matched = 0;
  const selected = new Set();
  let es = null, gen = 0, pendingNew = 0, gapped = false;

  const el = window.waInspector.el;

  // ---- filters, kept in the URL ----
  function filterQuery() {
    const p = new URLSearchParams();
    for (const k of FILTER_KEYS) {
      const v = (form.elements[k].value || '').trim();
      if (v) p.set(k, v);
    }
    return p;
  }
  function loadFiltersFromURL() {
    const p = new URLSearchParams(location.search);
    for (const k of FILTER_KEYS) form.elements[k].value = p.get(k) || '';
  }
  function saveFiltersToURL() {
    const p = filterQuery();
    const s = p.toString();
    history.replaceState(null, '', location.pathname + (s ? '?' + s : '') + location.hash);
  }
  let filterTimer = 0;
  form.addEventListener('input', () => { clearTimeout(filterTimer); filterTimer = setTimeout(applyFilters, 150); });
  form.addEventListener('change', () => { clearTimeout(filterTimer); applyFilters(); });
  form.addEventListener('reset', () => setTimeout(applyFilters, 0));
  form.addEventListener('submit', (e) => { e.preventDefault(); applyFilters(); });
  function applyFilters() { saveFiltersToURL(); reload(); }

  // ---- data ----
  async function api(path, opts) {
    const o = Object.assign({ headers: {} }, opts || {});
    if (o.method === 'POST') {
      o.headers['Content-Type'] = 'application/json';
      o.headers['X-Inspector-Token'] = TOKEN;
    }
    o.credentials = 'same-origin';
    const r = await fetch(path, o);
    if (!r.ok) {
      let msg = r.status + ' ' + r.statusText;
      try { msg = (await r.json()).error || msg; } catch (_) { /* not JSON */ }
      throw new Error(msg);
    }
    return r;
  }

  async function fetchPage(before) {
    const p = filterQuery();
    p.set('limit', PAGE);
    if (before) p.set('before', before);
    return (await api('/api/rows?' + p)).json();
  }

  // The first page comes inside the HTML (for the filter in the URL).
  let initial = null;
  try { initial = JSON.parse($('initial').textContent); } catch (_) { /* fetched instead */ }

  async function reload() {
    const my = ++gen;
    head = []; tail = []; byRow = new Map(); more = false; current = -1; pendingNew = 0; gapped = false;
    $('newpill').hidden = true;
    loading = true;
    try {
      const page = initial || await fetchPage(0);
      initial = null;
      if (my !== gen) return;
      connect(my, page.newest); // opening the stream takes a while: start it before drawing
      addOlder(page.rows);
      more = page.more; matched = page.matched;
      showStats(page);
    } catch (e) {
      setConn('down', 'could not load: ' + e.message);
    } finally { loading = false; }
    if (current < 0 && total()) current = 0;
    render();
    performance.mark('inspector-rows');
  }

  function addOlder(rs) {
    for (const r of rs) if (!byRow.has(r.row)) { byRow.set(r.row, r); tail.push(r); }
  }

  function addNewer(rs) {
    // rs arrive oldest first within a batch; the list is newest first.
    const fresh = rs.filter((r) => !byRow.has(r.row)).sort((a, b) => a.row - b.row);
    if (!fresh.length) return;
    for (const r of fresh) { byRow.set(r.row, r); head.push(r); }
    if (total() > MAX_ROWS) {
      // Forget the oldest in one go (older ones are fetched again when
      // scrolled to): shifting the array once per new row would cost a
      // copy of the whole list per event.
      let drop = total() - MAX_ROWS + 5000;
      while (drop > 0 && tail.length) { byRow.delete(tail.pop().row); drop--; }
      if (drop > 0) for (const old of head.splice(0, drop)) byRow.delete(old.row);
      more = true;
    }
    matched += fresh.length;
    if (current >= 0) current += fresh.length;
    spacer.style.height = (total() * ROW_H) + 'px';
    if (list.scrollTop > ROW_H) {
      // Reading older rows: keep them where they are.
      list.scrollTop += fresh.length * ROW_H;
      pendingNew += fresh.length;
      $('newpill').hidden = false;
      $('newbtn').textContent = pendingNew + ' new ↑';
    } else if (current === fresh.length) {
      current = 0;
    }
    drawSoon(fresh.length);
  }

  // An isolated new event (one row, the last redraw at least QUICK_MS ago)
  // is drawn at once; while events pour in, the list is redrawn at most
  // every BUSY_MS (twenty times a second), and once a second in a flood:
  // each redraw repaints every visible row (in a headless Chromium about
  // 25 ms of a core), and a page following thousands of events a second
  // must not eat the CPU that serve needs. Scrolling still draws at once.
  const QUICK_MS = 20, BUSY_MS = 50, FLOOD_MS = 1000;
  let lastDraw = 0, drawTimer = 0, flood = false;
  function drawSoon(rows) {
    if (drawTimer) return;
    const since = performance.now() - lastDraw;
    const wait = rows === 1 && !flood && since >= QUICK_MS ? 0 : (flood ? FLOOD_MS : BUSY_MS) - since;
    if (wait <= 0) { lastDraw = performance.now(); render(); return; }
    drawTimer = setTimeout(() => { drawTimer = 0; lastDraw = performance.now(); render(); }, wait);
  }

  // A flood: the server sent the newest rows of a burst and counted the
  // rest. At the top, the list becomes those rows (older ones are fetched
  // again when scrolled to); further down, it stays put and counts.
  function gap(g) {
    if (list.scrollTop > ROW_H) {
      pendingNew += g.skipped + g.rows.length;
      matched = g.matched;
      $('newpill').hidden = false;
      $('newbtn').textContent = num(pendingNew) + ' new ↑';
      gapped = true;
      scheduleRender();
      return;
    }
    head = []; tail = []; byRow = new Map(); more = true;
    addNewer(g.rows);
    matched = g.matched;
    current = 0;
  }
  function update(rs) {
    for (const r of rs) {
      const old = byRow.get(r.row);
      if (old) Object.assign(old, r);
    }
    scheduleRender();
    if (openID && rs.some((r) => r.id === openID)) openRequest(openID, true);
  }

  function connect(my, after) {
    if (es) es.close();
    const p = filterQuery();
    if (after) p.set('after', after);
    es = new EventSource('/api/stream?' + p);
    es.addEventListener('hello', (e) => {
      if (my !== gen) return;
      setConn('live', 'live'); showStats(JSON.parse(e.data));
      performance.mark('inspector-live'); // for go run ./internal/bench inspector
    });
    es.addEventListener('stats', (e) => { if (my === gen) showStats(JSON.parse(e.data)); });
    es.addEventListener('rows', (e) => {
      if (my !== gen) return;
      const rs = JSON.parse(e.data);
      flood = rs.length > 50; // the server's bursts grow with the rate: draw less often in a flood
      addNewer(rs);
    });
    es.addEventListener('gap', (e) => { if (my === gen) { flood = true; gap(JSON.parse(e.data)); } });
    es.addEventListener('update', (e) => { if (my === gen) update(JSON.parse(e.data)); });
    es.addEventListener('reset', () => { if (my === gen) reload(); });
    es.onerror = () => {
      if (my !== gen) return;
      setConn('down', 'disconnected: retrying… (is ' + (MOCK ? 'the mock' : 'serve') + ' still running?)');
      // EventSource reconnects by itself, from where this page is.
      const newest = head.length ? head[head.length - 1].row : tail.length ? tail[0].row : after;
      if (es.readyState === EventSource.CLOSED) setTimeout(() => { if (my === gen) connect(my, newest); }, 2000);
    };
  }

  function setConn(cls, text) { const c = $('conn'); c.className = 'conn ' + cls; c.textContent = text; }

  const numFmt = new Intl.NumberFormat();
  const num = (n) => numFmt.format(n);
  function fmtBytes(n) {
    if (n < 1024) return n + ' B';
    if (n < 1 << 20) return (n / 1024).toFixed(1) + ' KiB';
    return (n / (1 << 20)).toFixed(1) + ' MiB';
  }
  function showStats(s) {
    let t = 'keeping ' + num(s.requests) + ' of at most ' + num(s.max_requests) +
      ' requests (' + fmtBytes(s.bytes) + ' of ' + fmtBytes(s.max_bytes) + ')';
    if (s.evicted) t += ' · ' + num(s.evicted) + ' older ones dropped';
    if (s.dropped) t += ' · ' + num(s.dropped) + ' missed while the inspector was behind';
    $('stats').textContent = t;
  }

  // ---- the virtual list ----
  const tmpl = $('rowtmpl').content.firstElementChild;
  const pool = [];
  let raf = 0;
  // Drawing happens at most once a frame, however fast events arrive.
  function scheduleRender() { if (!raf) raf = requestAnimationFrame(() => { raf = 0; render(); }); }
  list.addEventListener('scroll', () => {
    if (list.scrollTop <= ROW_H && pendingNew) {
      pendingNew = 0; $('newpill').hidden = true;
      if (gapped) { gapped = false; reload(); return; }
    }
    scheduleRender();
  }, { passive: true });
  window.addEventListener('resize', () => render());
  $('newbtn').addEventListener('click', () => {
    list.scrollTop = 0; current = 0;
    if (gapped) { gapped = false; reload(); return; } // rows were left out while reading: fetch the newest
    render(); focusCurrent();
  });

  const SIG = { valid: ['✓', 'signature valid'], invalid: ['✗', 'bad signature'], missing: ['∅', 'no signature'], unchecked: ['?', 'not checked (no App Secret)'] };
  // One formatter for every row: making one per call costs more than the rest of a row.
  const clockFmt = new Intl.DateTimeFormat([], { hour12: false, hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const clock = (iso) => clockFmt.format(new Date(iso));
  function badge(text) {
    let cls = 'b-warn';
    if (text === 'FAILED' || text === 'BAD SIGNATURE') cls = 'b-fail';
    else if (text.startsWith('STALE')) cls = 'b-info';
    else if (text === 'ACCEPTED') cls = 'b-warn';
    return el('span', { class: 'badge ' + cls, text });
  }

  function fill(node, r, i) {
    node.dataset.i = i;
    node.classList.toggle('current', i === current);
    node.classList.toggle('open', r.id === openID);
    const cb = node.firstElementChild;
    cb.checked = selected.has(r.id);
    cb.setAttribute('aria-label', 'select request #' + r.seq + ' for the recording');
    const a = cb.nextElementSibling;
    a.href = '#r=' + r.id + (r.event ? '&e=' + r.event : '');
    a.tabIndex = i === current ? 0 : -1;
    const [t, sig, kind, type, ws] = a.children;
    const [who, sum, marks] = ws.children;
    t.textContent = clock(r.time);
    const s = SIG[r.sig] || ['', 'no signature check (not a POST)'];
    sig.textContent = s[0]; sig.className = 'sig sig-' + r.sig; sig.title = s[1];
    kind.textContent = r.kind; kind.className = 'kind k-' + r.kind;
    type.textContent = r.type; type.className = 'type' + (r.marks && r.marks.includes('FAILED') ? ' failed' : '');
    who.textContent = r.who;
    sum.textContent = r.summary;
    marks.replaceChildren(...(r.marks || []).map(badge));
    if (r.forward) marks.append(el('span', { class: 'badge ' + (r.forward_ok ? 'b-ok' : 'b-fail'), text: r.forward.startsWith('→ app:') ? '↪ failed' : r.forward.replace('→ app', '↪'), title: 'forwarded to your app: ' + r.forward }));
    if (r.restored) marks.append(el('span', { class: 'badge b-dim', text: 'earlier run', title: 'read from the --record file' }));
    if (r.short_id) marks.append(el('span', { class: 't rid', text: ' ' + r.short_id }));
    a.setAttribute('aria-label', [clock(r.time), s[1], r.kind, r.type, r.who, r.summary].concat(r.marks || []).filter(Boolean).join(', '));
  }

  function render() {
    const n = total();
    spacer.style.height = (n * ROW_H) + 'px';
    $('matched').textContent = n || matched ? '(' + num(matched) + (matched !== n ? ', ' + num(n) + ' loaded' : '') + ')' : '';
    $('empty').hidden = n > 0 || loading;
    const top = list.scrollTop, h = list.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / ROW_H) - 10);
    const last = Math.min(n, Math.ceil((top + h) / ROW_H) + 10);
    const want = last - first;
    while (pool.length < want) { const n = tmpl.cloneNode(true); pool.push(n); list.append(n); }
    const hadFocus = list.contains(document.activeElement) ? document.activeElement.closest('.row') : null;
    const focusedI = hadFocus ? +hadFocus.dataset.i : -1;
    for (let k = 0; k < pool.length; k++) {
      const n = pool[k];
      const i = first + k;
      if (k >= want) { n.hidden = true; continue; }
      n.hidden = false;
      n.style.transform = 'translateY(' + (i * ROW_H) + 'px)';
      fill(n, rowAt(i), i);
    }
    if (focusedI >= 0) focusCurrent();
    if (more && !loading && last >= n - 20) loadMore();
  }

  async function loadMore() {
    if (!total()) return;
    loading = true;
    const my = gen;
    try {
      const page = await fetchPage(rowAt(total() - 1).row);
      if (my !== gen) return;
      addOlder(page.rows); more = page.more;
    } catch (e) { setConn('down', 'could not load more: ' + e.message); } finally { loading = false; }
    render();
  }

  function rowNode(i) { return pool.find((n) => !n.hidden && +n.dataset.i === i); }
  function focusCurrent() {
    const n = rowNode(current);
    if (n) n.querySelector('a').focus({ preventScroll: true });
  }
  function move(delta) {
    if (!total()) return;
    current = Math.max(0, Math.min(total() - 1, (current < 0 ? -1 : current) + delta));
    const top = current * ROW_H;
    if (top < list.scrollTop) list.scrollTop = top;
    else if (top + ROW_H > list.scrollTop + list.clientHeight) list.scrollTop = top + ROW_H - list.clientHeight;
    render();
    focusCurrent();
  }

  list.addEventListener('click', (e) => {
    const row = e.target.closest('.row');
    if (!row) return;
    const i = +row.dataset.i;
    const r = rowAt(i);
    if (e.target.classList.contains('sel')) { toggleSelect(r.id, e.target.checked); return; }
    e.preventDefault();
    current = i;
    openRequest(r.id);
    location.hash = 'r=' + r.id;
    render();
  });
  list.addEventListener('focusin', (e) => {
    const row = e.target.closest('.row');
    if (row) { current = +row.dataset.i; for (const n of pool) n.classList.toggle('current', +n.dataset.i === current); }
  });

  function toggleSelect(id, on) {
    if (on) selected.add(id); else selected.delete(id);
    $('selcount').textContent = selected.size;
    $('download').disabled = selected.size === 0;
    render();
  }
  $('selall').addEventListener('click', () => { for (const r of head) selected.add(r.id); for (const r of tail) selected.add(r.id); toggleSelect(-1, false); });
  $('download').addEventListener('click', async () => {
    try {
      const r = await api('/api/recording', { method: 'POST', body: JSON.stringify({ ids: [...selected] }) });
      saveBlob(await r.blob(), 'wa-hooks-recording.jsonl');
    } catch (e) { alert('Download failed: ' + e.message); }
  });
  function saveBlob(blob, name) {
    const url = URL.createObjectURL(blob);
    const a = el('a', { href: url, download: name });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // ---- detail ----
  async function openRequest(id, refresh) {
    openID = id;
    let d;
    try { d = await (await api('/api/requests/' + id)).json(); } catch (e) {
      detailEl.replaceChildren(el('p', { class: 'err', text: e.message }));
      return;
    }
    if (openID !== id) return;
    const keepEdit = refresh && openDetail && openDetail.id === id ? detailEl.querySelector('.actions-area') : null;
    openDetail = d;
    showDetail(d, keepEdit);
    render();
  }

  function kv(pairs) {
    const t = el('table', { class: 'kv' });
    for (const [k, v] of pairs) if (v !== '' && v !== undefined && v !== null) t.append(el('tr', null, el('th', { scope: 'row', text: k }), el('td', { text: String(v) })));
    return t;
  }
  function section(title, ...kids) { return el('section', { 'aria-label': title }, el('h3', { text: title }), ...kids); }
  function ms(v) { return v === undefined || v === null ? '' : (v < 1 ? v.toFixed(3) : v.toFixed(1)) + ' ms'; }

  function showDetail(d, keepActions) {
    const head = el('div', { class: 'dhead' },
      el('h2', { text: d.request_line }),
      el('span', { class: 'badge ' + (d.status === 200 ? 'b-ok' : 'b-fail'), text: 'answered ' + d.status }),
      d.restored ? el('span', { class: 'badge b-dim', text: 'earlier run' }) : null);
    const when = new Date(d.time);
    const req = kv([['received', when.toLocaleString() + ' (' + d.time + ')'], ['request', '#' + d.seq + (MOCK ? ' of the mock\'s log' : ' of its serve run')],
      ['from', d.remote], ['handled in', ms(d.handled_ms)], ['body', num(d.size) + ' bytes' + (d.redacted ? ', shown redacted (--redact)' : '')]]);

    const parts = [head, req];
    parts.push(sigSection(d));
    if (d.problem) parts.push(section('Problem', kv([['kind', d.problem.kind], ['what', d.problem.message], ['hint', d.problem.hint], ['answered 200', d.problem.accepted ? 'yes (--accept-invalid)' : '']])));
    if (d.events.length) parts.push(section('Events (' + d.events.length + ')', ...d.events.map(eventBox)));
    if (d.forward) parts.push(forwardSection(d.forward));
    parts.push(section('Headers', kv(d.headers || [])));
    parts.push(bodySection(d));
    parts.push(keepActions || actionsSection(d));
    detailEl.replaceChildren(...parts);
  }

  function sigSection(d) {
    const s = d.signature || {};
    if (!s.verdict) return section('Signature', el('p', { class: 'dim', text: 'not a POST: nothing to sign' }));
    const box = el('div', { class: 'sigbox ' + s.verdict, id: 'sigbox' },
      el('p', null, el('strong', { text: (SIG[s.verdict] || ['', ''])[0] + ' ' + s.verdict }), ' ',
        el('span', { text: s.verdict === 'valid' ? 'the HMAC-SHA256 of these exact bytes with the App Secret matches' : (s.summary || '') })));
    if (s.header) box.append(kv([['X-Hub-Signature-256', s.header]]));
    if (s.match) box.append(el('p', null, el('strong', { text: 'It matches ' + s.match.description + '. ' }), el('span', { text: s.match.hint })));
    for (const n of s.notes || []) box.append(el('p', { class: 'dim', text: '• ' + n }));
    if (s.advice && s.advice.length && !s.match) {
      const ul = el('ul');
      for (const a of s.advice) ul.append(el('li', { text: a }));
      box.append(el('p', { text: 'What to check (tried ' + s.tried + ' re-encodings of the body):' }), ul);
    }
    return section('Signature', box);
  }

  const EVENT_FIELDS = ['field', 'kind', 'type', 'raw_type', 'summary', 'from', 'recipient', 'user_id', 'contact_name', 'username', 'group_id',
    'id', 'reply_to', 'status', 'pricing_category', 'timestamp', 'waba_id', 'phone_number_id', 'display_phone_number', 'problem', 'key',
    'first_request', 'first_seen', 'entry_index', 'change_index', 'item_index'];
  function eventBox(e, i) {
    const pairs = EVENT_FIELDS.map((k) => [k, e[k] === 0 && !k.endsWith('_index') ? '' : e[k]]);
    if (e.unknown) pairs.push(['unknown', 'yes: not a type this version knows (raw kept)']);
    for (const er of e.errors || []) pairs.push(['error', er.code + ' ' + (er.title || '') + (er.details ? ': ' + er.details : '')]);
    const box = el('div', { class: 'event', id: 'event-' + i },
      el('div', null, el('strong', { class: 'k-' + e.kind, text: '#' + (i + 1) + ' ' + e.type }), ...(e.marks || []).map(badge)),
      kv(pairs));
    if (e.raw && e.raw !== null) {
      const d = el('details', null, el('summary', { text: 'this event’s JSON' }));
      d.append(tree(e.raw));
      box.append(d);
    }
    return box;
  }

  function forwardSection(f) {
    return section('Your app answered', el('div', { class: 'result ' + (f.ok ? 'ok' : 'bad') },
      kv([['to', f.method + ' ' + f.url], ['status', f.status || ''], ['error', f.error], ['took', ms(f.latency_ms)]]),
      f.headers && f.headers.length ? el('details', null, el('summary', { text: 'response headers' }), kv(f.headers)) : null,
      f.body ? el('pre', { class: 'body', text: f.body }) : el('p', { class: 'dim', text: 'empty body' })));
  }

  function bodySection(d) {
    if (d.body === null && !d.body_base64) return section('Body', el('p', { class: 'dim', text: 'no body' }));
    const raw = el('pre', { class: 'body', id: 'rawbody', tabindex: '0', 'aria-label': 'body as received' },
      d.body !== null ? d.body : '(not UTF-8; base64) ' + d.body_base64);
    let parsed = null;
    if (d.body !== null && d.body.length < (1 << 20)) { try { parsed = JSON.parse(d.body); } catch (_) { /* not JSON */ } }
    const view = el('div');
    const tabRaw = el('button', { type: 'button', role: 'tab', 'aria-selected': 'true', text: 'Raw bytes' });
    const tabTree = el('button', { type: 'button', role: 'tab', 'aria-selected': 'false', text: 'JSON tree', disabled: parsed === null });
    const show = (which) => {
      tabRaw.setAttribute('aria-selected', which === 'raw'); tabTree.setAttribute('aria-selected', which === 'tree');
      view.replaceChildren(which === 'raw' ? raw : tree(parsed));
    };
    tabRaw.addEventListener('click', () => show('raw'));
    tabTree.addEventListener('click', () => show('tree'));
    show(parsed !== null ? 'tree' : 'raw');
    return section('Body', el('div', { class: 'tabs', role: 'tablist' }, tabRaw, tabTree), view);
  }

  function tree(v) {
    const root = el('div', { class: 'tree' });
    root.append(node(null, v, 0));
    return root;
  }
  function node(key, v, depth) {
    const k = key === null ? null : el('span', { class: 'key', text: JSON.stringify(key) + ': ' });
    if (v !== null && typeof v === 'object') {
      const isArr = Array.isArray(v);
      const entries = isArr ? v.map((x, i) => [i, x]) : Object.entries(v);
      const d = el('details', { open: depth < 6 });
      d.append(el('summary', null, k || '', isArr ? '[' + entries.length + ']' : '{' + entries.length + '}'));
      for (const [ck, cv] of entries) d.append(node(isArr ? null : ck, cv, depth + 1));
      return d;
    }
    const cls = typeof v === 'string' ? 'str' : typeof v === 'number' ? 'num' : 'lit';
    return el('div', { class: 'leaf' }, k || '', el('span', { class: cls, text: JSON.stringify(v) }));
  }

  // ---- actions ----
  function actionsSection(d) {
    const area = el('section', { class: 'actions-area', 'aria-label': 'Actions' }, el('h3', { text: 'Actions' }));
    if (d.method !== 'POST' || (d.body === null && !d.body_base64)) {
      area.append(el('p', { class: 'dim', text: 'Only a POST with a body can be replayed.' }));
      return area;
    }
    const tgt = el('select', { 'aria-label': 'where to send', id: 'target' },
      FORWARD ? el('option', { value: 'forward', text: 'your app (' + FORWARD + ')' }) : null,
      MOCK ? null : el('option', { value: 'serve', text: 'serve itself (' + LOCAL + ')' }),
      el('option', { value: 'url', text: 'another URL…' }));
    const url = el('input', { type: 'url', id: 'target-url', placeholder: 'http://localhost:3000/webhook', 'aria-label': 'URL to send to', hidden: tgt.value !== 'url' });
    tgt.addEventListener('change', () => { url.hidden = tgt.value !== 'url'; if (!url.hidden) url.focus(); });
    const mode = el('select', { id: 'mode', 'aria-label': 'signature' },
      el('option', { value: 'exact', text: 'signed with the App Secret', disabled: !CAN_SIGN }),
      el('option', { value: 'as-is', text: 'recorded signature header as is' }));
    if (!CAN_SIGN) mode.value = 'as-is';
    const out = el('div', { id: 'action-out', 'aria-live': 'polite' });
    const editor = el('div', { id: 'editor', hidden: true });
    const ta = el('textarea', { class: 'edit', id: 'edit-body', spellcheck: 'false', 'aria-label': 'body to send, edited' });
    ta.value = d.pretty || d.body || '';
    const sendEdited = el('button', { type: 'button', class: 'primary', id: 'send-edited', text: 'Send edited, re-signed', disabled: !CAN_SIGN,
      title: CAN_SIGN ? 'wire-encoded as Meta sends it and signed with the App Secret' : 'serve has no App Secret to sign with' });
    editor.append(el('p', { class: 'dim', text: 'Edit the JSON; it is sent in Meta’s wire form (compact, Meta’s escaping) and signed with the App Secret. ' +
      (REDACT ? 'With --redact you edit the redacted body.' : '') }), ta,
    el('div', { class: 'actions' }, sendEdited,
      el('button', { type: 'button', text: 'Copy edited as curl', onclick: () => copyCmd('curl', true) }),
      el('button', { type: 'button', text: 'Copy edited as send command', onclick: () => copyCmd('send-command', true) }),
      el('button', { type: 'button', text: 'Save edited as fixture', onclick: () => saveFixture(true) }),
      el('button', { type: 'button', class: 'ghost', text: 'Cancel', onclick: () => { editor.hidden = true; } })));

    const action = (edited) => {
      const a = { target: tgt.value, url: url.value, mode: edited ? 'edited' : mode.value };
      if (edited) a.body = ta.value;
      return a;
    };
    async function replay(edited) {
      out.replaceChildren(el('p', { class: 'dim', text: 'sending…' }));
      try {
        const r = await (await api('/api/requests/' + d.id + '/replay', { method: 'POST', body: JSON.stringify(action(edited)) })).json();
        const box = el('div', { class: 'result ' + (r.ok ? 'ok' : 'bad'), id: 'replay-result' },
          el('p', null, el('strong', { text: r.error ? 'failed: ' + r.error : 'answered ' + r.status }), ' ', el('span', { class: 'dim', text: r.url + ' · ' + ms(r.latency_ms) })),
          r.signature ? kv([['sent with', 'X-Hub-Signature-256: ' + r.signature]]) : null,
          r.headers && r.headers.length ? el('details', null, el('summary', { text: 'response headers' }), kv(r.headers)) : null,
          r.body ? el('pre', { class: 'body', text: r.body }) : null,
          r.sent ? el('details', null, el('summary', { text: 'bytes sent (' + r.sent.length + ')' }), el('pre', { class: 'body', text: r.sent })) : null);
        out.replaceChildren(box);
      } catch (e) { out.replaceChildren(el('p', { class: 'err', role: 'alert', text: e.message })); }
    }
    async function copyCmd(kind, edited) {
      try {
        const r = await (await api('/api/requests/' + d.id + '/' + kind, { method: 'POST', body: JSON.stringify(action(edited)) })).json();
        const box = el('textarea', { class: 'cmd', id: 'cmd-out', readonly: true, spellcheck: 'false', 'aria-label': 'command' });
        box.value = r.command;
        let copied = 'Copied to the clipboard.';
        try { await navigator.clipboard.writeText(r.command); } catch (_) { copied = 'Select and copy it (the browser refused the clipboard).'; }
        out.replaceChildren(el('p', { text: copied + (r.note ? ' It ' + r.note + '.' : '') }), box);
        box.select();
      } catch (e) { out.replaceChildren(el('p', { class: 'err', role: 'alert', text: e.message })); }
    }
    async function saveFixture(edited) {
      try {
        const r = await api('/api/requests/' + d.id + '/fixture', { method: 'POST', body: JSON.stringify(action(edited)) });
        const cd = r.headers.get('Content-Disposition') || '';
        const m = /filename="([^"]+)"/.exec(cd);
        saveBlob(await r.blob(), m ? m[1] : 'fixture.json');
        out.replaceChildren(el('p', { text: 'Saved. Send it again with: wa-hooks send FILE --to URL' }));
      } catch (e) { out.replaceChildren(el('p', { class: 'err', role: 'alert', text: e.message })); }
    }
    sendEdited.addEventListener('click', () => replay(true));
    const replayBtn = el('button', { type: 'button', class: 'primary', id: 'replay', text: 'Replay', onclick: () => replay(false) });
    const editBtn = el('button', { type: 'button', id: 'edit', text: 'Edit and replay…', onclick: () => { editor.hidden = false; ta.focus(); } });
    area.append(el('div', { class: 'actions' },
      el('fieldset', null, el('legend', { text: 'send to' }), tgt, url),
      el('fieldset', null, el('legend', { text: 'signature' }), mode),
      replayBtn, editBtn),
    el('div', { class: 'actions' },
      el('button', { type: 'button', id: 'copy-curl', text: 'Copy as curl', onclick: () => copyCmd('curl', false) }),
      el('button', { type: 'button', id: 'copy-send', text: 'Copy as wa-hooks send', onclick: () => copyCmd('send-command', false) }),
      el('button', { type: 'button', id: 'save-fixture', text: 'Save as fixture', onclick: () => saveFixture(false) }),
      el('button', { type: 'button', id: 'select-one', text: selected.has(d.id) ? 'Selected for the recording' : 'Add to the recording', onclick: (e) => { toggleSelect(d.id, true); e.target.textContent = 'Selected for the recording'; } })),
    editor, out);
    area.querySelector('.actions').style.marginBottom = '8px';
    return area;
  }

  // ---- keyboard ----
  document.addEventListener('keydown', (e) => {
    const t = e.target;
    const typing = t.closest && t.closest('input, textarea, select, [contenteditable]');
    if (e.key === 'Escape') {
      // Escape leaves a box with what was typed kept: a search field's own
      // Escape would clear the filter the user meant to browse with j/k.
      if (typing) { e.preventDefault(); t.blur(); list.focus(); focusCurrent(); return; }
      const ed = $('editor'); if (ed && !ed.hidden) { ed.hidden = true; return; }
    }
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    switch (e.key) {
      case 'j': case 'ArrowDown': e.preventDefault(); move(1); break;
      case 'k': case 'ArrowUp': e.preventDefault(); move(-1); break;
      case 'g': e.preventDefault(); list.scrollTop = 0; current = 0; render(); focusCurrent(); break;
      case 'Enter':
        if (t.closest('.row') || t === document.body || t === list) {
          e.preventDefault();
          const r = rowAt(current);
          if (r) { openRequest(r.id); location.hash = 'r=' + r.id; }
        }
        break;
      case 'x': if (rowAt(current)) { const id = rowAt(current).id; toggleSelect(id, !selected.has(id)); } break;
      case 'a': $('selall').click(); break;
      case '/': e.preventDefault(); $('q').focus(); $('q').select(); break; // typing replaces the old search
      case 'r': if ($('replay')) $('replay').click(); break;
      case 'e': if ($('edit')) { e.preventDefault(); $('edit').click(); } break;
      case '?': $('help').showModal(); break;
    }
  });
  $('help-btn').addEventListener('click', () => $('help').showModal());

  $('local-url').textContent = LOCAL;
  loadFiltersFromURL();
  reload();
  const h = new URLSearchParams(location.hash.slice(1));
  if (h.get('r')) openRequest(+h.get('r'));
  window.addEventListener('hashchange', () => {
    const hp = new URLSearchParams(location.hash.slice(1));
    if (hp.get('r') && +hp.get('r') !== openID) openRequest(+hp.get('r'));
  });
})();
