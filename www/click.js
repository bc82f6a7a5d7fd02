/*! engagekit click | MIT */
// Click autocapture's properties, bundled into the host code (www/host.js) of both builds.

/**
 * What an autocaptured click on `el` records: its tag, id, visible text (whitespace
 * collapsed, at most 100 characters) and link if http(s); never what was typed (only links
 * and buttons are captured, and an input's value is only read for submit and button inputs).
 */
export function clicked(el) {
  var p = { tag: el.tagName.toLowerCase() };
  var text = Array.from(String(el.innerText || el.value || '').slice(0, 1e3).trim().split(/\s+/).join(' '))
    .slice(0, 100)
    .join('')
    .trim();
  if (el.id) p.id = el.id;
  if (text) p.text = text;
  if (/^https?:\/\//.test(el.href)) p.href = el.href;
  return p;
}
