// wa-hooks inspector beside `wa-hooks mock`: a chat per simulated user and a
// box to write as them. Plain JavaScript, no build step. Every text from the
// mock's log (what users and the app wrote) is set with textContent only.
'use strict';

(function () {
  const meta = (n) => (document.querySelector('meta[name="inspector-' + n + '"]') || {}).content || '';
  if (meta('mock') !== 'yes') return;
  const TOKEN = meta('token');
  const $ = (id) => document.getElementById(id);
  const chat = $('chat'), userlist = $('userlist'), bubblesEl = $('bubbles'), say = $('say');

  let users = [], current = '', bubbles = new Map(), usersTimer = 0, es = null;
  // What tap answers: the mock's record of the app's last interactive
  // message (or template with buttons, or flow) to the current user.
  let tapping = { options: [], message: '', type: '' };
  const MAX_SHOWN = 1000; // the server keeps at most this many per user

  const el = window.waInspector.el;

  async function api(path, body) {
    const o = { credentials: 'same-origin', headers: {} };
    if (body !== undefined) {
      o.method = 'POST';
      o.headers['Content-Type'] = 'application/json';
      o.headers['X-Inspector-Token'] = TOKEN;
      o.body = JSON.stringify(body);
    }
    const r = await fetch(path, o);
    let data = null;
    try { data = await r.json(); } catch (_) { /* not JSON */ }
    if (!r.ok) throw new Error((data && data.error) || (r.status + ' ' + r.statusText));
    return data;
  }
  const userURL = (name, what) => '/api/mock/users/' + encodeURIComponent(name) + '/' + what;

  // ---- views: Conversations (#c=USER) and the list of webhooks (#r=ID) ----
  function chatActive() { return !location.hash.startsWith('#r='); }
  function showView() {
    const on = chatActive();
    chat.hidden = !on;
    $('filters').hidden = on;
    document.querySelector('.main').hidden = on;
    document.body.classList.toggle('chatview', on);
    $('view-chat').setAttribute('aria-current', on ? 'page' : 'false');
    $('view-list').setAttribute('aria-current', on ? 'false' : 'page');
    if (on) {
      const u = new URLSearchParams(location.hash.slice(1)).get('c') || '';
      if (u && u !== current) open(u);
      else if (!u && !current && users.length) open(users[0].name, true);
    }
  }
  $('view-chat').addEventListener('click', (e) => {
    e.preventDefault();
    location.hash = 'c=' + encodeURIComponent(current);
  });
  $('view-list').addEventListener('click', (e) => { e.preventDefault(); location.hash = 'r='; });
  window.addEventListener('hashchange', showView);

  // ---- users ----
  function ids(u) {
    const out = [];
    if (u.wa_id) out.push('+' + u.wa_id);
    if (u.user_id) out.push(u.user_id);
    if (u.username) out.push('@' + u.username);
    return out.join(' · ');
  }
  async function loadUsers() {
    try {
      const d = await api('/api/mock/users');
      users = d.users;
      let s = d.stats.bubbles + ' messages kept (at most ' + d.stats.max_bubbles + ', ' + d.stats.max_per_user + ' a user)';
      if (d.stats.evicted) s += ' · ' + d.stats.evicted + ' older dropped';
      if (d.missed) s += ' · ' + d.missed + ' log entries missed';
      if (d.unkept) s += ' · ' + d.unkept + ' older entries not kept before this page first opened';
      $('chat-stats').textContent = s;
      drawUsers();
      if (chatActive() && !current && users.length) open(users[0].name, true);
      else if (current) drawHead();
    } catch (e) {
      $('chat-stats').textContent = 'could not load the users: ' + e.message;
    }
  }
  function loadUsersSoon() { if (!usersTimer) usersTimer = setTimeout(() => { usersTimer = 0; loadUsers(); }, 400); }

  function drawUsers() {
    // Redrawn as messages come: keep the keyboard's place in the list.
    const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest('#userlist .user');
    const keep = focused ? focused.dataset.user : null;
    const frag = document.createDocumentFragment();
    for (const u of users) {
      const last = u.last;
      const preview = last ? (last.dir === 'out' ? 'app: ' : '') + (last.text || last.title || last.type) : 'no messages yet';
      const a = el('a', { href: '#c=' + encodeURIComponent(u.name), class: 'user' + (u.name === current ? ' current' : ''),
        'aria-current': u.name === current ? 'true' : 'false', 'data-user': u.name },
        el('span', { class: 'uname', text: u.name }),
        el('span', { class: 'win ' + (u.window_open ? 'open' : 'closed'), text: u.simulated ? (u.window_open ? 'window open' : 'window closed') : 'not a simulated user',
          title: u.window_open ? 'the 24-hour window is open until ' + u.window_expires : 'free-form messages fail with 131047: send a template' }),
        el('span', { class: 'uids dim mono', text: ids(u) }),
        el('span', { class: 'preview dim', text: preview }));
      frag.append(el('li', null, a));
    }
    userlist.replaceChildren(frag);
    if (keep !== null) {
      const again = [...userlist.querySelectorAll('.user')].find((a) => a.dataset.user === keep);
      if (again) again.focus();
    }
  }

  function drawHead() {
    const u = users.find((x) => x.name === current);
    $('chat-title').textContent = current ? current + (u && u.profile_name ? ' (' + u.profile_name + ')' : '') : 'Pick a user';
    $('chat-ids').textContent = u ? ids(u) : '';
    const w = $('chat-window');
    w.textContent = !u ? '' : !u.simulated ? 'not a simulated user' : u.blocked ? 'blocked' : u.window_open ? 'window open' : 'window closed';
    w.className = 'badge ' + (u && u.window_open && !u.blocked ? 'open' : 'closed');
    const can = !!(u && u.simulated);
    say.disabled = !can; $('say-send').disabled = !can; $('read-all').disabled = !can;
    say.placeholder = can ? 'Write as ' + current + '… (Enter sends, Shift+Enter a new line)' : 'The app wrote to a number no simulated user has';
  }

  // ---- one conversation ----
  let openGen = 0;
  async function open(name, quiet) {
    const my = ++openGen;
    current = name;
    if (!quiet || chatActive()) history.replaceState(null, '', '#c=' + encodeURIComponent(name));
    drawUsers(); drawHead();
    try {
      const c = await api(userURL(name, 'conversation'));
      if (my !== openGen) return;
      bubbles = new Map();
      for (const b of c.bubbles) bubbles.set(b.id, b);
      tapping = { options: c.options || [], message: c.tap_message || '', type: c.tap_type || '' };
      drawBubbles(true);
    } catch (e) {
      bubblesEl.replaceChildren(el('li', { class: 'note', text: 'could not load the conversation: ' + e.message }));
    }
  }

  const clockFmt = new Intl.DateTimeFormat([], { hour12: false, hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const TICKS = {
    accepted: ['🕓', 'accepted by the Graph API, no status yet'], sent: ['✓', 'sent'], delivered: ['✓✓', 'delivered'],
    read: ['✓✓', 'read'], failed: ['✗', 'failed'], refused: ['✗', 'refused by the Graph API'],
  };

  function bubbleNode(b, tappable) {
    const li = el('li', { class: 'bubble ' + b.dir + ' st-' + b.status, 'data-id': b.id, 'data-status': b.status });
    if (b.dir === 'note') { li.append(el('span', { text: b.text || b.type })); return li; }
    if (b.title) li.append(el('p', { class: 'btitle', text: b.title }));
    if (b.reply_to) {
      // Quote the message it answers when the chat has it.
      const q = [...bubbles.values()].find((x) => x.wamid === b.reply_to);
      const what = q ? '“' + (q.text || q.title || q.type).slice(0, 80) + '”' : b.reply_to.slice(-12);
      li.append(el('p', { class: 'quote dim', text: (b.type === 'reaction' ? 'reacted to ' : '↩ ') + what }));
    }
    if (b.text) li.append(el('p', { class: 'btext', text: b.text }));
    if (!b.text && !b.title) li.append(el('p', { class: 'btext dim', text: b.type }));
    if (b.footer) li.append(el('p', { class: 'bfoot dim', text: b.footer }));
    if (b.options && b.options.length) {
      const opts = el('div', { class: 'bopts' });
      b.options.forEach((o, i) => opts.append(el('button', { type: 'button', class: 'opt', disabled: !tappable, 'data-key': 'b' + b.id + '-' + i,
        text: o, title: tappable ? 'tap as the user (' + (i + 1) + ')' : 'only the last interactive message can be tapped',
        onclick: () => tap(i + 1) })));
      li.append(opts);
    }
    const m = el('p', { class: 'bmeta' });
    m.append(el('span', { class: 'dim', text: clockFmt.format(new Date(b.time)) + (b.type && b.type !== 'text' ? ' · ' + b.type : '') }));
    if (b.dir === 'out') {
      const t = TICKS[b.status] || ['?', b.status];
      const trail = (b.statuses || []).map((s) => s.status + ' ' + clockFmt.format(new Date(s.time))).join(', ');
      m.append(el('span', { class: 'ticks ' + b.status, text: t[0], 'aria-label': t[1], title: t[1] + (trail ? ' — ' + trail : '') }));
    } else {
      const d = b.delivery;
      let what = 'posting to the app…';
      if (d) what = d.error ? 'app: ' + d.error : 'app answered ' + d.status + ' in ' + d.latency_ms.toFixed(1) + ' ms';
      if (d && d.attempts > 1) what += ' (attempt ' + d.attempts + ')';
      m.append(el('span', { class: 'deliv ' + b.status, text: what }));
      if (b.signature && b.signature !== 'valid') m.append(el('span', { class: 'deliv failed', text: 'signature ' + b.signature }));
      if (b.read_by_app) m.append(el('span', { class: 'ticks read', text: '✓✓', 'aria-label': 'the app marked it read', title: 'the app marked it read' }));
      if (b.request) m.append(el('a', { href: '#r=' + b.request, class: 'reqlink', text: 'webhook', title: 'the bytes, headers and the app’s answer (replay it there)' }));
    }
    li.append(m);
    if (b.error) li.append(el('p', { class: 'berr', text: b.error.code + ' · ' + b.error.title }));
    return li;
  }

  function sorted() {
    return [...bubbles.values()].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.id - b.id));
  }

  function drawBubbles(scroll) {
    // Redrawn as statuses come: a focused button keeps the focus.
    const keep = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : '';
    const list = sorted();
    while (list.length > MAX_SHOWN) bubbles.delete(list.shift().id);
    const atEnd = bubblesEl.scrollHeight - bubblesEl.scrollTop - bubblesEl.clientHeight < 40;
    const frag = document.createDocumentFragment();
    if (!list.length) frag.append(el('li', { class: 'note', text: 'No messages yet: write as ' + current + ' below.' }));
    for (const b of list) frag.append(bubbleNode(b, !!tapping.message && b.wamid === tapping.message));
    bubblesEl.replaceChildren(frag);
    const taps = $('taps');
    taps.replaceChildren(el('span', { class: 'dim', text: 'Tap as ' + current + (tapping.type === 'template' ? ' (the template’s buttons):' : ':') }));
    tapping.options.forEach((o, i) => taps.append(el('button', { type: 'button', class: 'opt', 'data-key': 't' + i, text: (i + 1) + ' ' + o, onclick: () => tap(i + 1) })));
    taps.hidden = !tapping.options.length;
    if (keep) { const again = chat.querySelector('[data-key="' + keep + '"]'); if (again) again.focus(); }
    if (scroll || atEnd) bubblesEl.scrollTop = bubblesEl.scrollHeight;
  }

  // ---- writing as the user ----
  function result(text, bad) { const r = $('compose-result'); r.textContent = text; r.className = 'composeresult' + (bad ? ' bad' : ''); }
  function delivered(what, d) {
    if (d.error) result(what + ': ' + d.error, true);
    else result(what + ': the app answered ' + d.status + ' in ' + d.latency_ms.toFixed(1) + ' ms', d.status < 200 || d.status > 299);
  }
  $('compose').addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = say.value;
    if (!text.trim() || !current) return;
    const who = current;
    $('say-send').disabled = true;
    result('posting as ' + who + '…');
    try {
      const d = await api(userURL(who, 'say'), { text });
      say.value = '';
      delivered('sent as ' + who, d);
    } catch (err) { result(err.message, true); } finally { $('say-send').disabled = false; }
  });
  say.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); $('compose').requestSubmit(); }
  });
  async function tap(n) {
    if (!current) return;
    const who = current;
    result('tapping ' + n + ' as ' + who + '…');
    try { delivered(who + ' tapped ' + n, await api(userURL(who, 'tap'), { n })); } catch (err) { result(err.message, true); }
  }
  $('read-all').addEventListener('click', async () => {
    if (!current) return;
    const who = current;
    try { delivered(who + ' read everything', await api(userURL(who, 'read'), {})); } catch (err) { result(err.message, true); }
  });

  // ---- live ----
  function connect() {
    if (es) es.close();
    es = new EventSource('/api/mock/stream');
    es.addEventListener('hello', () => { if (chatActive()) { const c = $('conn'); c.className = 'conn live'; c.textContent = 'live'; } });
    es.addEventListener('bubbles', (e) => {
      let mine = false;
      let refetch = false;
      for (const b of JSON.parse(e.data)) {
        if (b.user !== current) continue;
        // A new message of the app may change what tap answers: ask again.
        if (b.dir === 'out' && !bubbles.has(b.id) && (b.type.startsWith('interactive.') || b.type === 'template')) refetch = true;
        bubbles.set(b.id, b); mine = true;
      }
      if (refetch) open(current, true);
      else if (mine) drawBubbles(false);
      loadUsersSoon();
    });
    es.addEventListener('reset', () => { loadUsers(); if (current) open(current, true); });
    es.onerror = () => {
      const c = $('conn'); c.className = 'conn down'; c.textContent = 'disconnected: retrying… (is the mock still running?)';
      if (es.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    };
  }

  // ---- keyboard: in the Conversations view these keys are the chat's ----
  window.addEventListener('keydown', (e) => {
    const t = e.target;
    const typing = t.closest && t.closest('input, textarea, select, [contenteditable]');
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (!typing && e.key === 'v' && !$('help').open) {
      e.preventDefault(); e.stopImmediatePropagation();
      if (chatActive()) location.hash = 'r='; else location.hash = 'c=' + encodeURIComponent(current);
      return;
    }
    if (!chatActive()) return;
    if (e.key === 'Escape' && typing) { e.stopImmediatePropagation(); t.blur(); bubblesEl.focus(); return; }
    if (typing || e.key === '?') return;
    const i = users.findIndex((u) => u.name === current);
    let handled = true;
    switch (e.key) {
      case 'j': case 'ArrowDown': if (users[i + 1]) open(users[i + 1].name); break;
      case 'k': case 'ArrowUp': if (i > 0) open(users[i - 1].name); break;
      // Focused after this key's own event, so the key is not typed into the box.
      case 'c': case '/': if (!say.disabled) setTimeout(() => say.focus(), 0); break;
      case 'R': $('read-all').click(); break;
      default:
        if (e.key >= '1' && e.key <= '9') tap(+e.key);
        else handled = false;
    }
    if (handled) e.preventDefault();
    e.stopImmediatePropagation(); // the request list's keys do not reach the hidden list
  }, true);

  // The request list here shows the webhooks the mock posted.
  $('empty').textContent = 'No webhooks posted yet: write as a user in Conversations (v), or run wa-hooks mock say alice hi.';
  showView();
  loadUsers();
  connect();
})();
