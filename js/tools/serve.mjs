#!/usr/bin/env node
// A small static file server for weft's demo page, browser tests and
// browser benchmark (Node standard library only). It binds 127.0.0.1 and
// serves the repository with the two headers that make a page cross-origin
// isolated -- without them a browser will not share a WebAssembly.Memory with
// its workers -- on every response, worker scripts included:
//
//   Cross-Origin-Opener-Policy: same-origin
//   Cross-Origin-Embedder-Policy: require-corp
//
// Any path under /noiso/ serves the same file WITHOUT them (and --no-isolation
// drops them everywhere), so the package's no-isolation path can be tested.
//
//   node js/tools/serve.mjs [--port 8080] [--no-isolation] [--root DIR]
//   then open http://127.0.0.1:8080/  (the demo, js/demo/)

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const NOISO_PREFIX = '/noiso';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  // Harmless with COEP, and lets an isolated page of another port embed us.
  'Cross-Origin-Resource-Policy': 'same-origin',
};

// Maps a URL path to a file under root, or null if it would leave root or
// touch a hidden name (.git, .env, ...).
function resolvePath(root, urlPath) {
  let p;
  try {
    p = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (p.includes('\0')) return null;
  const parts = p.split('/').filter(Boolean);
  if (parts.some((s) => s === '..' || s.startsWith('.'))) return null;
  const full = path.join(root, ...parts);
  return full === root || full.startsWith(root + path.sep) ? full : null;
}

// Starts the server. Resolves to { server, url, close() }. port 0 picks a
// free one; isolate false serves every response without the headers.
export function startServer({ root = REPO, port = 0, isolate = true, log = false } = {}) {
  root = path.resolve(root);
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://127.0.0.1');
    let p = u.pathname;
    let iso = isolate;
    if (p === NOISO_PREFIX || p.startsWith(NOISO_PREFIX + '/')) {
      iso = false;
      p = p.slice(NOISO_PREFIX.length) || '/';
    }
    const headers = { 'Cache-Control': 'no-store', ...(iso ? ISOLATION_HEADERS : {}) };
    const send = (status, body, type = 'text/plain; charset=utf-8', extra = {}) => {
      res.writeHead(status, { ...headers, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
      if (log) console.log(`${status} ${req.method} ${req.url}`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n', undefined, { Allow: 'GET, HEAD' });
    if (p === '/') return send(302, 'see /js/demo/\n', undefined, { Location: (iso ? '' : NOISO_PREFIX) + '/js/demo/' });
    const file = resolvePath(root, p);
    if (!file) return send(403, 'forbidden\n');
    fs.stat(file, (err, st) => {
      if (err) return send(404, `not found: ${p}\n`);
      if (st.isDirectory()) {
        if (!p.endsWith('/')) return send(301, 'moved\n', undefined, { Location: u.pathname + '/' + u.search });
        return serveFile(path.join(file, 'index.html'));
      }
      serveFile(file, st);
    });
    function serveFile(f, st) {
      fs.readFile(f, (err, body) => {
        if (err) return send(err.code === 'ENOENT' ? 404 : 500, `cannot read ${p}\n`);
        const type = TYPES[path.extname(f).toLowerCase()] || 'application/octet-stream';
        res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': body.length });
        res.end(req.method === 'HEAD' ? undefined : body);
        if (log) console.log(`200 ${req.method} ${req.url}`);
      });
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const url = `http://127.0.0.1:${server.address().port}`;
      resolve({
        server,
        url,
        close: () => new Promise((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
      });
    });
  });
}

function parseArgs(argv) {
  const o = { port: 8080, isolate: true, root: REPO, log: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port' || a === '-p') o.port = Number(argv[++i]);
    else if (a === '--no-isolation') o.isolate = false;
    else if (a === '--root') o.root = argv[++i];
    else if (a === '--quiet' || a === '-q') o.log = false;
    else if (a === '--help' || a === '-h') {
      console.log('usage: node js/tools/serve.mjs [--port N] [--no-isolation] [--root DIR] [--quiet]');
      process.exit(0);
    } else {
      console.error(`serve: unknown argument ${a}`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) {
    console.error('serve: --port takes 0..65535');
    process.exit(2);
  }
  return o;
}

if (import.meta.url === pathToFileURL(process.argv[1] || '').href) {
  const o = parseArgs(process.argv.slice(2));
  const { url } = await startServer(o);
  console.log(`weft: serving ${o.root} on ${url}/ ` +
    (o.isolate ? `(cross-origin isolated; ${url}${NOISO_PREFIX}/ without the headers)` : '(without COOP/COEP)'));
  console.log(`demo: ${url}/js/demo/`);
}
