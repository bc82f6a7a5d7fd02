// The dashboard's sign-in: posts the admin secret to /api/session, which sets an HttpOnly
// session cookie, then goes on to the page that sent the visitor here (a /dashboard path
// only, so the link cannot send anyone elsewhere).

const form = document.getElementById('signin');
const input = document.getElementById('secret');
const error = document.getElementById('signin-error');

function next() {
  const target = new URLSearchParams(location.search).get('next') || '/dashboard/';
  return /^\/dashboard(\/|\?|$)/.test(target) ? target : '/dashboard/';
}

function fail(message) {
  error.textContent = message;
  input.setAttribute('aria-invalid', 'true');
  input.focus();
  input.select();
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const secret = input.value.trim();
  if (!secret) {
    fail('Enter the admin secret.');
    return;
  }
  const button = form.querySelector('button');
  button.disabled = true;
  error.textContent = '';
  try {
    const res = await fetch('/api/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ secret }),
      credentials: 'same-origin',
    });
    if (res.ok) {
      location.assign(next());
      return;
    }
    fail(res.status === 401 ? 'That is not the admin secret.' : `Could not sign in (HTTP ${res.status}).`);
  } catch (e) {
    fail(`Could not reach the collector: ${e.message}`);
  } finally {
    button.disabled = false;
  }
});

input.focus();
