// The supervisor page's routes: the login form (POST sets the session cookie), logout, the page
// itself (`?tv=1`: large type for a wall screen) and its static script modules and style sheet.
// Everything else gets a 404.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Auth, SESSION_COOKIE } from '../auth.js';
import { HttpError, MAX_BODY_BYTES, sendText } from '../http-kit.js';
import { loginHtml, supervisorHtml } from './html.js';
import { loadAssets } from './assets.js';

const HTML = 'text/html; charset=utf-8';
// The page loads only its own script and style, and talks only to this service.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let text = '';
  for await (const chunk of req) {
    text += (chunk as Buffer).toString('utf8');
    if (text.length > MAX_BODY_BYTES) throw new HttpError(413, 'too_large', 'form too large');
  }
  return new URLSearchParams(text);
}

export function supervisorPages() {
  const assets = loadAssets();
  return {
    async handle(req: IncomingMessage, res: ServerResponse, path: string, auth: Auth): Promise<void> {
      const method = req.method ?? 'GET';
      const secure = req.headers['x-forwarded-proto'] === 'https' ? '; Secure' : '';
      if (path === '/login' && method === 'POST') {
        const form = await readForm(req);
        if (!auth.checkToken(form.get('token') ?? '')) {
          return sendText(res, 401, HTML, loginHtml('That token is not right.'), { 'content-security-policy': CSP });
        }
        res.writeHead(303, {
          location: '/',
          'set-cookie': `${SESSION_COOKIE}=${auth.sessionValue()}; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200${secure}`,
          'cache-control': 'no-store',
        });
        return void res.end();
      }
      if (path === '/login') return sendText(res, 200, HTML, loginHtml(), { 'content-security-policy': CSP });
      if (path === '/logout' && method === 'POST') {
        res.writeHead(303, { location: '/login', 'set-cookie': `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`, 'cache-control': 'no-store' });
        return void res.end();
      }
      const asset = path.startsWith('/static/') ? assets.get(path.slice('/static/'.length)) : undefined;
      if (asset) return sendText(res, 200, asset.type, asset.body);
      if (path === '/' || path === '/supervisor') {
        if (auth.identify(req) === null) {
          res.writeHead(303, { location: '/login', 'cache-control': 'no-store' });
          return void res.end();
        }
        const tv = new URL(req.url ?? '/', 'http://page.invalid').searchParams.get('tv');
        return sendText(res, 200, HTML, supervisorHtml({ tv: tv !== null && tv !== '0' && tv !== 'false' }), { 'content-security-policy': CSP });
      }
      throw new HttpError(404, 'not_found', `no such page: ${path.slice(0, 100)}`);
    },
  };
}
