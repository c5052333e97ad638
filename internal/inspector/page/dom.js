// What both scripts of the inspector page share. Text from outside goes
// into the page only through el's 'text' (textContent), never as HTML.
'use strict';

window.waInspector = {
  // el makes an element: attrs 'class', 'text' (set as text), 'onEVENT'
  // (a listener), others as attributes (true: present; false/null: left out).
  el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    if (attrs) for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const k of kids) if (k !== null && k !== undefined) e.append(k);
    return e;
  },
};
