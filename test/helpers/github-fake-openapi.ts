// Validates HTTP requests against GitHub's official OpenAPI description (@octokit/openapi):
// the route and method must exist, path/query parameters must match their schemas, no unknown
// query parameters, and a JSON body must match the requestBody schema with no unknown top-level keys
// (the spec rarely says additionalProperties: false, but a typo'd key is silently ignored by GitHub,
// which is exactly the bug this should catch).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

type Json = any; // the spec is untyped JSON

interface Route {
  template: string;
  regex: RegExp;
  names: string[];
  literal: number;
}
export interface MatchedOperation {
  template: string;
  method: string;
  params: Record<string, string>;
  operationId: string;
}

const ptr = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

export class OpenApiValidator {
  private readonly ajv: Ajv;
  private readonly routes: Route[];
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(readonly spec: Json) {
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
    const addFormats = ((addFormatsModule as Json).default ?? addFormatsModule) as (a: Ajv) => void;
    addFormats(this.ajv);
    this.ajv.addSchema(spec, 'gh');
    this.routes = Object.keys(spec.paths)
      .map((template) => {
        const names: string[] = [];
        const source = template
          .split('/')
          .map((seg) => {
            const m = /^\{(.+)\}$/.exec(seg);
            if (m) {
              names.push(m[1]);
              return '([^/]+)';
            }
            return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          })
          .join('/');
        return {
          template,
          regex: new RegExp(`^${source}$`),
          names,
          literal: template.replace(/\{[^}]+\}/g, '').length,
        };
      })
      .sort((a, b) => b.literal - a.literal); // most specific template first
  }

  static load(): OpenApiValidator {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
    return new OpenApiValidator(nullableToJsonSchema(JSON.parse(readFileSync(file, 'utf8'))));
  }

  match(method: string, pathname: string): MatchedOperation | undefined {
    const m = method.toLowerCase();
    for (const r of this.routes) {
      const hit = r.regex.exec(pathname);
      if (!hit || !this.spec.paths[r.template][m]) continue;
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => {
        params[n] = decodeURIComponent(hit[i + 1]);
      });
      return { template: r.template, method: m, params, operationId: this.spec.paths[r.template][m].operationId };
    }
    return undefined;
  }

  /** Returns a list of violations (empty when the request is valid). */
  validate(op: MatchedOperation, query: URLSearchParams, body: unknown | undefined): string[] {
    const where = `${op.method.toUpperCase()} ${op.template}`;
    const errors: string[] = [];
    const opPointer = `/paths/${ptr(op.template)}/${op.method}`;
    const operation = this.spec.paths[op.template][op.method];
    const params: { spec: Json; pointer: string }[] = (operation.parameters ?? []).map((p: Json, i: number) => {
      if (p.$ref) {
        const name = p.$ref.replace('#/components/parameters/', '');
        return { spec: this.spec.components.parameters[name], pointer: `/components/parameters/${ptr(name)}` };
      }
      return { spec: p, pointer: `${opPointer}/parameters/${i}` };
    });
    const known = new Set<string>();
    for (const { spec, pointer } of params) {
      if (spec.in === 'header' || spec.in === 'cookie') continue;
      const raw = spec.in === 'path' ? op.params[spec.name] : (query.get(spec.name) ?? undefined);
      if (spec.in === 'query') known.add(spec.name);
      if (raw === undefined) {
        if (spec.required) errors.push(`${where}: missing required ${spec.in} parameter '${spec.name}'`);
        continue;
      }
      const validate = this.schema(`${pointer}/schema`);
      const candidates: unknown[] = [raw];
      if (/^-?\d+(\.\d+)?$/.test(raw)) candidates.push(Number(raw));
      if (raw === 'true' || raw === 'false') candidates.push(raw === 'true');
      if (!candidates.some((c) => validate(c))) {
        errors.push(`${where}: ${spec.in} parameter '${spec.name}'='${raw}' ${this.ajv.errorsText(validate.errors)}`);
      }
    }
    for (const key of new Set(query.keys()))
      if (!known.has(key)) errors.push(`${where}: unknown query parameter '${key}'`);

    const content = operation.requestBody?.content?.['application/json'];
    if (body === undefined) {
      if (operation.requestBody?.required) errors.push(`${where}: missing required JSON body`);
    } else if (!content) {
      errors.push(`${where}: takes no JSON body but got ${JSON.stringify(body).slice(0, 200)}`);
    } else {
      const pointer = `${opPointer}/requestBody/content/application~1json/schema`;
      const validate = this.schema(pointer);
      if (!validate(body)) errors.push(`${where}: body ${this.ajv.errorsText(validate.errors)}`);
      const schema = this.resolve(content.schema);
      if (
        schema.properties &&
        schema.additionalProperties === undefined &&
        body &&
        typeof body === 'object' &&
        !Array.isArray(body)
      ) {
        for (const key of Object.keys(body)) {
          if (!(key in schema.properties)) errors.push(`${where}: unknown body property '${key}'`);
        }
      }
    }
    return errors;
  }

  /** The spec's example response body for this operation and status (GitHub's real shapes). */
  example(op: MatchedOperation, status: number): Json {
    const content = this.responseContent(op, status);
    const first = content && Object.values(content.content.examples ?? {})[0];
    if (!first) throw new Error(`${op.operationId} ${status}: the spec has no example response`);
    return structuredClone(this.resolve(first).value);
  }

  /** Violations of the response schema: the fake's own answers must look like GitHub's. */
  validateResponse(op: MatchedOperation, status: number, body: unknown): string[] {
    const content = this.responseContent(op, status);
    if (!content) return [`${op.operationId}: the spec has no JSON ${status} response`];
    const validate = this.schema(`${content.pointer}/content/application~1json/schema`);
    return validate(body) ? [] : [`fake response ${op.operationId} ${status}: ${this.ajv.errorsText(validate.errors)}`];
  }

  private responseContent(op: MatchedOperation, status: number): { content: Json; pointer: string } | undefined {
    const r = this.spec.paths[op.template][op.method].responses[String(status)];
    if (!r) return undefined;
    const pointer = r.$ref ? r.$ref.replace(/^#/, '') : `/paths/${ptr(op.template)}/${op.method}/responses/${status}`;
    const resolved = this.resolve(r);
    return resolved.content?.['application/json']
      ? { content: resolved.content['application/json'], pointer }
      : undefined;
  }

  private resolve(schema: Json): Json {
    while (schema?.$ref) {
      schema = schema.$ref
        .replace(/^#\//, '')
        .split('/')
        .reduce((o: Json, k: string) => o[k.replace(/~1/g, '/').replace(/~0/g, '~')], this.spec);
    }
    return schema;
  }

  private schema(pointer: string): ValidateFunction {
    let v = this.compiled.get(pointer);
    if (!v) {
      v = this.ajv.compile({ $ref: `gh#${pointer}` });
      this.compiled.set(pointer, v);
    }
    return v;
  }
}

/**
 * OpenAPI 3.0's `nullable: true` is not JSON Schema, and Ajv accepts it only next to `type`.
 * Rewrite it the way OpenAPI 3.1 does: add 'null' to the type, or allow null beside the schema.
 */
function nullableToJsonSchema(node: Json): Json {
  if (Array.isArray(node)) {
    node.forEach(nullableToJsonSchema);
    return node;
  }
  if (!node || typeof node !== 'object') return node;
  for (const v of Object.values(node)) nullableToJsonSchema(v);
  if (node.nullable === true) {
    delete node.nullable;
    if (typeof node.type === 'string') {
      node.type = [node.type, 'null'];
      if (Array.isArray(node.enum) && !node.enum.includes(null)) node.enum.push(null);
    } else if (!node.type) {
      const inner = { ...node };
      for (const k of Object.keys(node))
        if (!['description', 'title', 'example', 'examples'].includes(k)) delete node[k];
      node.anyOf = [inner, { type: 'null' }];
    }
  } else if (node.nullable === false) {
    delete node.nullable;
  }
  return node;
}
