// Server-rendered HTML of the supervisor page and its login form. The page's data comes from
// the API (supervisor.js); nothing from the database is rendered here, so nothing needs escaping
// but the fixed texts.
const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const head = (title: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><link rel="stylesheet" href="/static/supervisor.css"></head>`;

export function loginHtml(problem?: string): string {
  return `${head('qcb — sign in')}
<body class="login"><main>
<h1>Queue callback — supervisor</h1>
<form method="post" action="/login">
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
${problem ? `<p class="problem" role="alert">${esc(problem)}</p>` : ''}
</form></main></body></html>`;
}

export function supervisorHtml(): string {
  return `${head('qcb — supervisor')}
<body><header><h1>Queue callback</h1><span id="live" class="live">connecting…</span>
<form method="post" action="/logout"><button type="submit">Sign out</button></form></header>
<main id="floor"></main>
<script src="/static/supervisor.js" defer></script></body></html>`;
}
