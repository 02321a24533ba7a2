// GET /openapi.json (the spec, api/openapi.ts) and GET /docs (the same as one self-contained page:
// nothing loaded from outside). Both are public, like /healthz: they describe, they reveal nothing.
import type { FastifyInstance } from 'fastify';
import { openApiDocument, openApiPath, ROUTE_DOCS, type RouteDoc } from '../openapi.js';
import { VERSION } from '../../src/version.js';

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function routeSection(r: RouteDoc, spec: Record<string, unknown>): string {
  const op = ((spec.paths as Record<string, Record<string, Record<string, unknown>>>)[openApiPath(r.path)]!)[r.method.toLowerCase()]!;
  const body = op.requestBody as { content: { 'application/json': { schema: unknown; examples: Record<string, { value: unknown }> } } } | undefined;
  const json = body?.content['application/json'];
  const examples = Object.entries(json?.examples ?? {})
    .map(([name, e]) => `<p>Example <i>${escapeHtml(name)}</i></p><pre>${escapeHtml(JSON.stringify(e.value, null, 2))}</pre>`).join('');
  return `<section><h3><code>${r.method} ${escapeHtml(r.path)}</code></h3><p>${escapeHtml(r.summary)}${r.leader ? ' <b>(leader)</b>' : ''}${r.public ? ' <b>(no token)</b>' : ''}</p>`
    + (json ? `<details><summary>request body schema</summary><pre>${escapeHtml(JSON.stringify(json.schema, null, 2))}</pre></details>${examples}` : '')
    + '</section>';
}

export function docsPage(): string {
  const spec = openApiDocument(VERSION);
  const sections = ROUTE_DOCS.map((r) => routeSection(r, spec)).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>binrelay admin API</title>
<style>body{font:14px/1.4 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}pre{background:#f4f4f4;padding:.5rem;overflow:auto}section{border-top:1px solid #ddd}</style>
</head><body><h1>binrelay admin API ${escapeHtml(VERSION)}</h1>
<p>Send <code>Authorization: Bearer &lt;admin token&gt;</code> when the node has one. Machine-readable: <a href="/openapi.json">/openapi.json</a>.</p>
${sections}</body></html>`;
}

export function registerOpenApiRoutes(app: FastifyInstance): void {
  const spec = openApiDocument(VERSION);
  const page = docsPage();
  app.get('/openapi.json', async () => spec);
  app.get('/docs', async (_request, reply) => reply.header('content-type', 'text/html; charset=utf-8').send(page));
}
