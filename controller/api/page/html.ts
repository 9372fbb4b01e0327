// Server-rendered HTML of the supervisor page and its login form. The page's data comes from
// the API (static/supervisor.js); nothing from the database is rendered here, so nothing needs
// escaping but the fixed texts. No inline script or style anywhere: the CSP allows only
// /static files (pages.ts).
const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const head = (title: string, o: { htmlClass?: string; script?: string } = {}): string => `<!doctype html>
<html lang="en"${o.htmlClass ? ` class="${o.htmlClass}"` : ''}><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark">
<title>${esc(title)}</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/static/supervisor.css">${o.script ? `<script type="module" src="${o.script}"></script>` : ''}</head>`;

export function loginHtml(problem?: string): string {
  return `${head('qcb — sign in')}
<body class="login"><main>
<h1>Queue callback — supervisor</h1>
<form method="post" action="/login">
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit" class="primary">Sign in</button>
${problem ? `<p class="problem" role="alert">${esc(problem)}</p>` : ''}
</form></main></body></html>`;
}

/** `tv`: large type from the first paint (the script keeps it, and toggles it). */
export function supervisorHtml(opts: { tv?: boolean } = {}): string {
  return `${head('qcb — supervisor', { htmlClass: opts.tv ? 'tv' : undefined, script: '/static/supervisor.js' })}
<body class="supervisor">
<header class="top">
<h1>Queue callback <span class="sub">supervisor</span></h1>
<p id="live" class="live" data-state="connecting" role="status"><span class="dot" aria-hidden="true"></span><span class="text">connecting…</span></p>
<p id="updated" class="updated"></p>
<div class="top-actions">
<button type="button" id="tv-toggle" aria-pressed="${opts.tv ? 'true' : 'false'}">Large type</button>
<form method="post" action="/logout"><button type="submit">Sign out</button></form>
</div>
</header>
<div id="notice" class="notice" hidden><span class="text"></span><button type="button" class="close" aria-label="Close">×</button></div>
<main id="floor"><p class="loading">Loading the floor…</p></main>
<datalist id="break-reasons"><option value="lunch"><option value="meeting"><option value="training"><option value="coaching"><option value="technical problem"></datalist>
<noscript><p class="problem">This page needs JavaScript for its live view. The same data is in the API: GET /api/v1/floor.</p></noscript>
</body></html>`;
}
