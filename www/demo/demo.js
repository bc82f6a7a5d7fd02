// Acme Boards demo site: page behaviour and engagekit calls.
// Vanilla JS, no framework. Every handler is attached with addEventListener, and every
// piece of dynamic text goes in through textContent (never innerHTML).
// `window.engagekit` always exists: the snippet in <head> defines a queue stub, so calls
// made before the module has loaded are kept and replayed in order.
(function () {
  'use strict';

  /* global engagekit */
  // Always call through the global: the loader may swap the stub for the real API object.
  var STORE = 'acme-boards:';
  var PLAN_NAMES = { starter: 'Starter', pro: 'Pro', team: 'Team' };

  // ---- small helpers -------------------------------------------------------------

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  function load(key, fallback) {
    try {
      var raw = window.localStorage.getItem(STORE + key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (e) {
      return fallback; // storage disabled or corrupt: the demo just forgets
    }
  }
  function save(key, value) {
    try { window.localStorage.setItem(STORE + key, JSON.stringify(value)); } catch (e) { /* ignore */ }
  }
  function clearAll() {
    try {
      for (var i = window.localStorage.length - 1; i >= 0; i--) {
        var k = window.localStorage.key(i);
        if (k && k.indexOf(STORE) === 0) window.localStorage.removeItem(k);
      }
    } catch (e) { /* ignore */ }
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // A plain left click that the page should handle itself (not ctrl/cmd/middle click).
  function isPlainClick(event) {
    return event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey;
  }

  // ---- shared: nav and consent banner ---------------------------------------------

  function markCurrentNav() {
    var here = location.pathname === '/index.html' ? '/' : location.pathname;
    $all('.nav-links a').forEach(function (a) {
      if (new URL(a.href).pathname === here) a.setAttribute('aria-current', 'page');
    });
  }

  // One listener for every trial link, including those a content slot shows later.
  function initTrialButtons() {
    document.addEventListener('click', function (event) {
      var a = event.target.closest && event.target.closest('a[href*="trial="]');
      if (!a) return;
      var plan = new URL(a.href).searchParams.get('trial');
      engagekit.track('Trial Started', { plan: Object.prototype.hasOwnProperty.call(PLAN_NAMES, plan) ? plan : 'pro' });
    });
  }

  function initConsent() {
    var banner = $('#consent-banner');
    if (!banner) return;
    var choice = load('consent', null);
    if (choice === 'granted' || choice === 'denied') {
      engagekit.consent(choice); // keep engagekit in step with the choice remembered here
    } else {
      banner.hidden = false;
    }
    var opener = null; // the "Privacy settings" button that reopened the banner, if one did

    // Focus that was in the banner goes back where it came from: to the button that reopened
    // it, else to the main content (never to <body>).
    function close() {
      var hadFocus = banner.contains(document.activeElement);
      banner.hidden = true;
      if (hadFocus) (opener && opener.isConnected ? opener : $('#main')).focus();
      opener = null;
    }
    function decide(value) {
      engagekit.consent(value);
      save('consent', value);
      close();
    }
    $all('[data-consent]', banner).forEach(function (button) {
      button.addEventListener('click', function () { decide(button.getAttribute('data-consent')); });
    });
    $all('[data-action="privacy-settings"]').forEach(function (button) {
      button.addEventListener('click', function () {
        banner.hidden = false;
        opener = button;
        var current = load('consent', null);
        var target = $('[data-consent="' + (current === 'denied' ? 'denied' : 'granted') + '"]', banner);
        target.focus();
      });
    });
    // Escape puts the banner away for this page view, without a choice: it is back on the next
    // page until the visitor makes one. It works wherever focus is, so a visitor can clear the
    // banner off whatever it covers without moving focus (engagekit's widgets keep their own
    // Escape to themselves).
    document.addEventListener('keydown', function (event) {
      if (event.key === 'Escape' && !event.isComposing && !event.defaultPrevented && !banner.hidden) close();
    });
  }

  // ---- shared: nothing fixed hides the focused element (WCAG 2.4.11) ----------------

  // The header sticks to the top of the viewport; the consent banner and engagekit's widgets
  // (survey card, checklist) are fixed to its bottom. The page keeps the strips they take
  // clear: as scroll-padding, so an element that gets focus scrolls out from under them, and
  // at the bottom also as padding after the footer, so the last elements can scroll clear too.
  // The banner makes way for engagekit's widgets rather than cover them or go under them.
  function initClearance() {
    var html = document.documentElement;
    var banner = $('#consent-banner');
    var header = $('.site-header');
    if (!window.ResizeObserver || !banner || !header) return;
    var sizes = new ResizeObserver(update);
    var watched = [];

    // engagekit's widgets: <engagekit-*> hosts on <body>, each box at the top of an open
    // shadow root; only those along the bottom edge (a survey can also sit in the centre).
    function widgetBoxes(viewport) {
      var boxes = [];
      $all('body > *').forEach(function (host) {
        if (host.tagName.indexOf('ENGAGEKIT-') === 0 && host.shadowRoot) {
          boxes = boxes.concat(Array.prototype.slice.call(host.shadowRoot.children));
        }
      });
      watched = watched.filter(function (box) {
        if (!box.isConnected) sizes.unobserve(box);
        return box.isConnected;
      });
      boxes.forEach(function (box) {
        if (watched.indexOf(box) < 0) { watched.push(box); sizes.observe(box); }
      });
      return boxes.map(function (box) { return box.getBoundingClientRect(); }).filter(function (r) {
        return r.height > 0 && viewport - r.bottom < 48;
      });
    }

    // The banner sits at the left edge or just right of a widget (if it is still 20rem wide
    // there), wherever it has to rise least to clear the widgets below it; never out of view.
    function placeBanner(widgets, viewport, top) {
      var rem = parseFloat(getComputedStyle(html).fontSize);
      var width = html.clientWidth;
      var maxWidth = parseFloat(getComputedStyle(banner).maxWidth) || width;
      var best = null;
      [rem].concat(widgets.map(function (r) { return r.right + rem; })).forEach(function (left) {
        var right = left + Math.min(maxWidth, width - left - rem);
        if (left > rem && right - left < 20 * rem) return;
        var lift = 0;
        widgets.forEach(function (r) {
          if (r.left < right && r.right > left) lift = Math.max(lift, viewport - r.top);
        });
        if (!best || lift < best.lift) best = { left: left, lift: lift };
      });
      var room = viewport - top - banner.offsetHeight - 2 * rem;
      banner.style.setProperty('--left', best.left + 'px');
      banner.style.setProperty('--lift', Math.max(0, Math.min(best.lift, room)) + 'px');
    }

    function update() {
      var viewport = html.clientHeight;
      var widgets = widgetBoxes(viewport);
      var top = getComputedStyle(header).position === 'sticky' ? header.getBoundingClientRect().height : 0;
      if (!banner.hidden) placeBanner(widgets, viewport, top);
      // A widget taller than half the viewport (an open checklist) was opened by the visitor,
      // and it closes with Escape: reserving its height would leave no room to scroll into.
      var bottom = viewport;
      widgets.forEach(function (r) { if (r.height <= viewport / 2) bottom = Math.min(bottom, r.top); });
      if (!banner.hidden) bottom = Math.min(bottom, banner.getBoundingClientRect().top);
      html.style.setProperty('--covered-top', top + 'px');
      html.style.setProperty('--covered-bottom', Math.max(0, viewport - bottom) + 'px');
    }

    sizes.observe(banner);
    sizes.observe(header);
    new MutationObserver(update).observe(document.body, { childList: true });
    window.addEventListener('resize', update);
    update();
  }

  // ---- pricing ----------------------------------------------------------------------

  function initPricing() {
    function billing() {
      var checked = $('input[name="billing"]:checked');
      return checked ? checked.value : 'monthly';
    }
    $all('input[name="billing"]').forEach(function (input) {
      input.addEventListener('change', function () {
        var period = billing();
        $all('[data-price]').forEach(function (price) {
          price.textContent = price.getAttribute('data-' + period);
        });
      });
    });
    $all('[data-plan]').forEach(function (link) {
      link.addEventListener('click', function () {
        engagekit.track('Plan Selected', { plan: link.getAttribute('data-plan'), billing: billing() });
      });
    });
  }

  // ---- docs -------------------------------------------------------------------------

  function initDocs() {
    var copy = $('#copy-snippet');
    var copyStatus = $('#copy-status');
    if (copy) {
      copy.addEventListener('click', function () {
        var text = $('#snippet-code').textContent;
        function done(ok) {
          copyStatus.textContent = ok ? 'Snippet copied to the clipboard.' : 'Could not copy: select the snippet and press Ctrl+C.';
          if (ok) engagekit.track('Snippet Copied');
        }
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
        } else {
          done(false);
        }
      });
    }

    var feedback = $('#docs-feedback');
    var thanks = $('#feedback-thanks');
    $all('[data-helpful]').forEach(function (button) {
      button.addEventListener('click', function () {
        var helpful = button.getAttribute('data-helpful') === 'yes';
        engagekit.track('Docs Feedback', { helpful: helpful, page: 'docs' });
        feedback.hidden = true;
        thanks.textContent = helpful ? 'Thanks! Glad it helped.' : 'Thanks. We will make this page clearer.';
        thanks.setAttribute('tabindex', '-1');
        thanks.focus();
      });
    });
  }

  // ---- app: a small single-page app ------------------------------------------------

  var VIEWS = { boards: 'Boards', reports: 'Reports', settings: 'Settings' };
  var COLUMNS = [
    { id: 'todo', name: 'To do' },
    { id: 'doing', name: 'Doing' },
    { id: 'done', name: 'Done' }
  ];
  var DEFAULT_CARDS = [
    { id: 'c1', title: 'Write launch announcement', tag: 'Marketing', column: 'todo' },
    { id: 'c2', title: 'Record product demo video', tag: 'Marketing', column: 'todo' },
    { id: 'c3', title: 'Fix flaky login test', tag: 'Engineering', column: 'todo' },
    { id: 'c4', title: 'Design pricing page v2', tag: 'Design', column: 'doing' },
    { id: 'c5', title: 'Migrate reports to the new API', tag: 'Engineering', column: 'doing' },
    { id: 'c6', title: 'Customer interviews, round 2', tag: 'Research', column: 'done' },
    { id: 'c7', title: 'Set up the status page', tag: 'Engineering', column: 'done' }
  ];
  var RANGES = { '7d': 7, '30d': 30, '90d': 90 };

  function initApp() {
    var cards = load('board', null);
    if (!Array.isArray(cards)) cards = DEFAULT_CARDS.slice();

    function params() { return new URLSearchParams(location.search); }
    function currentView() {
      var v = params().get('view');
      return Object.prototype.hasOwnProperty.call(VIEWS, v) ? v : 'boards';
    }
    function currentRange() {
      var r = params().get('range');
      return Object.prototype.hasOwnProperty.call(RANGES, r) ? r : '7d';
    }
    function titleFor(view) { return VIEWS[view] + ' · Acme Boards'; }

    // Views --------------------------------------------------------------------------
    function render() {
      var view = currentView();
      document.title = titleFor(view);
      $all('.view').forEach(function (section) { section.hidden = section.id !== 'view-' + view; });
      $all('[data-view]').forEach(function (a) {
        if (a.getAttribute('data-view') === view) a.setAttribute('aria-current', 'page');
        else a.removeAttribute('aria-current');
      });
      if (view === 'boards') renderBoard();
      if (view === 'reports') renderReports();
      if (view === 'settings') renderSettings();
    }

    function navigate(view) {
      var url = new URL(location.href);
      url.search = '';
      url.searchParams.set('view', view);
      url.hash = '';
      if (url.href === location.href) return;
      document.title = titleFor(view); // before pushState, so the page view gets the new title
      history.pushState({ view: view }, '', url.href);
      render();
      var heading = $('#' + view + '-title');
      if (heading) heading.focus();
    }

    $all('[data-view]').forEach(function (a) {
      a.addEventListener('click', function (event) {
        if (!isPlainClick(event)) return;
        event.preventDefault();
        navigate(a.getAttribute('data-view'));
      });
    });
    window.addEventListener('popstate', render);

    // Board --------------------------------------------------------------------------
    function columnName(id) {
      for (var i = 0; i < COLUMNS.length; i++) if (COLUMNS[i].id === id) return COLUMNS[i].name;
      return id;
    }
    function nextColumn(id) {
      for (var i = 0; i < COLUMNS.length - 1; i++) if (COLUMNS[i].id === id) return COLUMNS[i + 1].id;
      return null;
    }

    function renderBoard(focusId) {
      COLUMNS.forEach(function (column) {
        var box = $('[data-column="' + column.id + '"]');
        var list = $('ul', box);
        var inColumn = cards.filter(function (c) { return c.column === column.id; });
        $('[data-count]', box).textContent = String(inColumn.length);
        list.replaceChildren();
        inColumn.forEach(function (card) {
          var item = el('li', { 'class': 'task', tabindex: '-1', 'data-card': card.id });
          item.appendChild(el('span', { 'class': 'tag' }, card.tag));
          item.appendChild(el('p', null, card.title));
          var to = nextColumn(card.column);
          if (to) {
            var move = el('button', { type: 'button', 'class': 'btn btn-quiet btn-small' }, 'Move to ' + columnName(to));
            // The visible text first, so speech users can say what they see (WCAG 2.5.3).
            move.setAttribute('aria-label', 'Move to ' + columnName(to) + ': \u201c' + card.title + '\u201d');
            move.addEventListener('click', function () { moveCard(card.id); });
            item.appendChild(move);
          }
          list.appendChild(item);
        });
      });
      if (focusId) {
        var moved = $('[data-card="' + focusId + '"]');
        if (moved) moved.focus();
      }
    }

    function moveCard(id) {
      var card = cards.filter(function (c) { return c.id === id; })[0];
      if (!card) return;
      var to = nextColumn(card.column);
      if (!to) return;
      engagekit.track('Card Moved', { card: id, from: card.column, to: to });
      card.column = to;
      save('board', cards);
      renderBoard(id);
    }

    $('#add-card').addEventListener('submit', function (event) {
      event.preventDefault();
      var input = $('#new-card');
      var title = input.value.trim();
      if (!title) return;
      var card = { id: 'c' + Date.now().toString(36), title: title, tag: 'New', column: 'todo' };
      cards.push(card);
      save('board', cards);
      engagekit.track('Card Created', { card: card.id, column: 'todo' });
      input.value = '';
      renderBoard();
    });

    // Reports ------------------------------------------------------------------------
    function renderReports() {
      var range = currentRange();
      $all('[data-range]').forEach(function (button) {
        button.setAttribute('aria-pressed', String(button.getAttribute('data-range') === range));
      });
      var days = RANGES[range];
      var buckets = days > 30 ? 13 : days; // 90 days are shown per week
      var chart = $('#chart');
      chart.replaceChildren();
      var total = 0;
      for (var i = 0; i < buckets; i++) {
        var value = 2 + ((i * 7 + days) % 9) * (days > 30 ? 3 : 1);
        total += value;
        var bar = el('div', { 'class': 'bar', title: value + ' cards' });
        bar.style.height = Math.round((value / (days > 30 ? 26 : 10)) * 100) + '%';
        chart.appendChild(bar);
      }
      chart.setAttribute('aria-label', 'Cards completed, ' + total + ' in the last ' + days + ' days');
      $('#stat-throughput').textContent = String(total);
      $('#stat-cycle').textContent = (days === 7 ? 2.5 : days === 30 ? 3.1 : 3.4).toFixed(1);
      $('#stat-wip').textContent = String(cards.filter(function (c) { return c.column === 'doing'; }).length);
    }

    $all('[data-range]').forEach(function (button) {
      button.addEventListener('click', function () {
        var range = button.getAttribute('data-range');
        if (range === currentRange()) return;
        var url = new URL(location.href);
        url.searchParams.set('view', 'reports');
        url.searchParams.set('range', range);
        history.replaceState(history.state, '', url.href);
        renderReports();
      });
    });

    // Settings -----------------------------------------------------------------------
    function renderSettings() {
      var user = load('user', null);
      $('#settings-user').textContent = user ? user.name + ' (' + user.email + ')' : 'Not signed in';
      $('#settings-plan').textContent = PLAN_NAMES[user && user.plan] || 'Starter';
      engagekit.ready(function () {
        var score = typeof engagekit.score === 'function' ? engagekit.score() : NaN;
        $('#settings-score').textContent = typeof score === 'number' && isFinite(score) ? Math.round(score) + ' / 100' : 'Not available';
        var info = typeof engagekit.debug === 'function' ? engagekit.debug() : null;
        $('#settings-queued').textContent = info && typeof info.queued === 'number' ? String(info.queued) : 'Not available';
      });
    }

    var status = $('#settings-status');
    $('#flush-now').addEventListener('click', function () {
      engagekit.flush();
      status.textContent = 'Sending queued events.';
      window.setTimeout(renderSettings, 1000);
    });
    $('#sign-out').addEventListener('click', function () {
      engagekit.reset();
      save('user', null);
      showSignup();
      renderSettings();
      status.textContent = 'Signed out. New events are no longer linked to you.';
    });
    $('#forget-me').addEventListener('click', function () {
      engagekit.forget();
      clearAll();
      cards = DEFAULT_CARDS.slice();
      showSignup();
      renderSettings();
      status.textContent = 'Everything this site stored in your browser has been erased.';
      var banner = $('#consent-banner');
      if (banner) banner.hidden = false;
    });

    // Sign up ------------------------------------------------------------------------
    var form = $('#signup-form');
    var planSelect = $('#signup-plan');
    var wanted = params().get('plan') || params().get('trial');
    if (Object.prototype.hasOwnProperty.call(PLAN_NAMES, wanted)) planSelect.value = wanted;
    if (params().get('trial') === 'pro') $('#trial-notice').hidden = false;

    function showSignup() {
      $('#signup-panel').hidden = false;
      $('#welcome-panel').hidden = true;
    }
    function showWelcome(user, moveFocus) {
      $('#signup-panel').hidden = true;
      $('#welcome-panel').hidden = false;
      $('#welcome-text').textContent = 'Signed in as ' + user.name + ' (' + user.email + ') on the ' +
        (PLAN_NAMES[user.plan] || 'Starter') + ' plan.';
      if (moveFocus) $('#welcome-title').focus();
    }

    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (!form.checkValidity()) { form.reportValidity(); return; }
      var data = new FormData(form);
      var user = {
        email: String(data.get('email') || '').trim().toLowerCase(),
        name: String(data.get('name') || '').trim(),
        plan: String(data.get('plan') || 'starter')
      };
      engagekit.identify(user.email, { plan: user.plan, name: user.name });
      engagekit.track('Signed Up', { plan: user.plan });
      save('user', user);
      showWelcome(user, true);
    });

    var existing = load('user', null);
    if (existing && existing.email) showWelcome(existing, false);

    render();
  }

  // ---- start ------------------------------------------------------------------------

  function start() {
    markCurrentNav();
    initConsent();
    initClearance();
    initTrialButtons();
    var page = document.body.getAttribute('data-page');
    if (page === 'pricing') initPricing();
    if (page === 'docs') initDocs();
    if (page === 'app') initApp();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
