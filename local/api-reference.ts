import { escapeHtml, htmlPage } from '#lambda/shared/html';
import type { OpenApiDocument } from './openapi';

type Json = Record<string, unknown>;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

const schemaText = (schema: unknown) => escapeHtml(JSON.stringify(schema, null, 2));

function parameterRows(parameters: Json[]): string {
  if (!parameters.length) return '';
  const rows = parameters
    .map((p) => {
      const schema = p.schema as Json | undefined;
      return `<tr><td><code>${escapeHtml(String(p.name))}</code></td><td>${escapeHtml(String(p.in))}</td><td>${
        p.required ? 'yes' : ''
      }</td><td><code>${escapeHtml(String(schema?.type ?? schema?.format ?? ''))}</code> ${escapeHtml(
        String(p.description ?? schema?.description ?? ''),
      )}</td></tr>`;
    })
    .join('');
  return `<table><thead><tr><th>name</th><th>in</th><th>required</th><th>what</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function operationSection(method: string, path: string, op: Json): string {
  const id = `${method}-${path}`.replace(/[^A-Za-z0-9-]/g, '-');
  const body = (op.requestBody as { content?: Record<string, { schema: unknown }> } | undefined)?.content?.[
    'application/json'
  ]?.schema;
  const responses = Object.entries((op.responses as Record<string, Json>) ?? {})
    .map(([status, r]) => {
      const content = r.content as Record<string, { schema: unknown }> | undefined;
      const schema = content && Object.values(content)[0]?.schema;
      return `<details><summary>${escapeHtml(status)} ${escapeHtml(String(r.description ?? ''))}</summary>${
        schema ? `<pre>${schemaText(schema)}</pre>` : ''
      }</details>`;
    })
    .join('');
  return `<section id="${id}"><h3><code>${method.toUpperCase()} ${escapeHtml(path)}</code></h3><p>${escapeHtml(
    String(op.summary ?? ''),
  )}${op.description ? ` <small>${escapeHtml(String(op.description))}</small>` : ''}</p>${parameterRows(
    (op.parameters as Json[]) ?? [],
  )}${body ? `<details><summary>Request body</summary><pre>${schemaText(body)}</pre></details>` : ''}${responses}</section>`;
}

/**
 * A readable page of the OpenAPI document, grouped by tag, made on this machine: no script and nothing from
 * another origin, so it works offline and under the app's CSP.
 */
export function apiReferencePage(doc: OpenApiDocument): string {
  const byTag = new Map<string, string[]>();
  for (const [path, operations] of Object.entries(doc.paths))
    for (const method of METHODS) {
      const op = operations[method];
      if (!op) continue;
      const tag = String((op.tags as string[] | undefined)?.[0] ?? 'other');
      byTag.set(tag, [...(byTag.get(tag) ?? []), operationSection(method, path, op)]);
    }
  const tags = [...byTag.keys()].sort();
  const toc = tags.map((t) => `<li><a href="#tag-${escapeHtml(t)}">${escapeHtml(t)}</a></li>`).join('');
  const sections = tags
    .map((t) => `<h2 id="tag-${escapeHtml(t)}">${escapeHtml(t)}</h2>${byTag.get(t)!.join('')}`)
    .join('');
  return htmlPage(
    String(doc.info.title),
    `<h1>${escapeHtml(String(doc.info.title))}</h1><p>${escapeHtml(String(doc.info.description ?? ''))}</p>` +
      `<p>The document itself: <a href="/openapi.json">/openapi.json</a>.</p><nav><ul>${toc}</ul></nav>${sections}`,
  );
}
