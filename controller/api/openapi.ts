// The OpenAPI 3.1 document of the admin API, rendered from the route table (routes.ts) and its
// zod schemas, plus the few paths the server answers itself (health, metrics, the event stream).
import { z } from 'zod';
import { ROUTES, type Route } from './routes.js';
import { errorBody } from './schemas.js';

type Json = Record<string, unknown>;

const ERROR_TEXT: Readonly<Record<number, string>> = {
  400: 'bad input: `error.field` names the field, `error.message` says why',
  401: 'no or wrong bearer token',
  404: 'no such queue, agent, entry or controller',
  409: 'the thing exists but its state forbids this (e.g. the number already has a callback: `error.existingEntryId`)',
  429: 'too many callback requests from this client or for this number (Retry-After)',
};

function schemaOf(t: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(t, { io, unrepresentable: 'any' }) as Json;
  return rest;
}

const jsonContent = (schema: Json): Json => ({ 'application/json': { schema } });

function operation(r: Route): Json {
  const parameters: Json[] = [];
  for (const [name, t] of Object.entries(r.params ?? {})) parameters.push({ name, in: 'path', required: true, schema: schemaOf(t, 'input') });
  if (r.query) {
    const q = schemaOf(r.query, 'input') as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {})) {
      parameters.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema });
    }
  }
  const responses: Json = { [String(r.ok.status)]: { description: r.ok.description, content: jsonContent(schemaOf(r.ok.schema, 'output')) } };
  for (const code of [...r.errors, 401]) responses[String(code)] = { $ref: `#/components/responses/E${code}` };
  return {
    operationId: r.operationId, tags: [r.tag], summary: r.summary,
    ...(r.description ? { description: r.description } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(r.body ? { requestBody: { required: r.method === 'POST' && !isEmptyBody(r.body), content: jsonContent(schemaOf(r.body, 'input')) } } : {}),
    responses,
  };
}

function isEmptyBody(t: z.ZodType): boolean {
  const s = schemaOf(t, 'input') as { required?: string[] };
  return !s.required || s.required.length === 0;
}

export function openApiDocument(version: string): Json {
  const paths: Record<string, Json> = {};
  for (const r of ROUTES) (paths[r.path] ??= {})[r.method.toLowerCase()] = operation(r);
  paths['/api/v1/floor/events'] = {
    get: {
      operationId: 'streamFloor', tags: ['queues'],
      summary: 'Server-sent events: `floor` with the same body as GET /api/v1/floor whenever it changes (checked twice a second)',
      responses: { 200: { description: 'an event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, 401: { $ref: '#/components/responses/E401' } },
    },
  };
  paths['/api/v1/openapi.json'] = {
    get: { operationId: 'openApi', summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1', content: jsonContent({ type: 'object' }) }, 401: { $ref: '#/components/responses/E401' } } },
  };
  paths['/health'] = {
    get: { operationId: 'health', summary: 'The process runs (no token needed)', security: [], responses: { 200: { description: 'ok', content: { 'text/plain': { schema: { type: 'string' } } } } } },
  };
  paths['/ready'] = {
    get: { operationId: 'ready', summary: 'The database answers', responses: { 200: { description: 'ready' }, 503: { description: 'not ready' } } },
  };
  paths['/metrics'] = {
    get: { operationId: 'metrics', summary: 'Prometheus metrics: per-queue floor gauges, API requests', responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } }, 401: { $ref: '#/components/responses/E401' } } },
  };
  const responses: Json = {};
  for (const [code, description] of Object.entries(ERROR_TEXT)) responses[`E${code}`] = { description, content: jsonContent({ $ref: '#/components/schemas/Error' }) };
  return {
    openapi: '3.1.0',
    info: {
      title: 'qcb admin API', version,
      description: 'Queues, callers, callbacks and agents of the FreeSWITCH queue callback: read the floor, request, cancel, requeue and reschedule callbacks, log agents in and out, drain a controller.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    tags: [
      { name: 'queues' }, { name: 'entries' }, { name: 'callbacks' }, { name: 'agents' }, { name: 'controllers' },
    ],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'QCB_API_TOKEN' } },
      schemas: { Error: schemaOf(errorBody, 'output') },
      responses,
    },
  };
}
