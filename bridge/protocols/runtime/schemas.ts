// The runtime WebSocket's messages (Simple-ML's runtime server): the actions, the schema of each, and
// an ajv error as a sentence naming the attribute.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/** Simple-ML's `type` tags. */
export const TYPE = {
  started: '[status]:EXECUTION_STARTED',
  finished: '[state]:EXECUTION_FINISHED',
  value: '[placeholder]:VALUE',
  stats: '[placeholder]:STATS',
} as const;

export const ACTIONS = ['run', 'status', 'get_placeholder', 'get_stats', 'run_model', 'stop'] as const;
export type Action = (typeof ACTIONS)[number];

const sessionId = { type: ['integer', 'string'], minLength: 1 };
const placeholderRef = {
  type: 'object', required: ['placeholder'],
  properties: { placeholder: { type: 'object', required: ['sessionId', 'name'], properties: { sessionId, name: { type: 'string', minLength: 1 } } } },
};
/** A program's files, in either language: `"javascript": {…}` or `"python": {…}` (Simple-ML's). */
const program = {
  type: 'object', required: ['files', 'mainfile'],
  properties: {
    number: { type: 'integer', minimum: 1 },
    files: {
      type: 'array', minItems: 1,
      items: { type: 'object', required: ['filename', 'content'], properties: { filename: { type: 'string', minLength: 1 }, content: { type: 'string' } } },
    },
    mainfile: { type: 'string', minLength: 1 },
  },
};
const SCHEMAS: Record<Action, object> = {
  run: { type: 'object', properties: { javascript: program, python: program } },
  status: { type: 'object', required: ['sessionId'], properties: { sessionId } },
  get_placeholder: placeholderRef,
  get_stats: placeholderRef,
  run_model: {
    type: 'object', required: ['model'],
    properties: {
      model: {
        type: 'object', required: ['name', 'data'],
        properties: { sessionId, name: { type: 'string', minLength: 1 }, is_data: { type: 'boolean' } },
      },
    },
  },
  stop: { type: 'object', required: ['sessionId'], properties: { sessionId } },
};
const ajv = new Ajv({ allErrors: false, strict: false });
export const validators = Object.fromEntries(ACTIONS.map((a) => [a, ajv.compile(SCHEMAS[a])])) as Record<Action, ValidateFunction>;

/** An ajv error as a sentence naming the attribute: `missing attribute "javascript.mainfile"`. */
export function schemaMessage(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (!e) return 'the message is not valid';
  const path = e.instancePath.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    return `missing attribute "${path ? `${path}.` : ''}${missing}"`;
  }
  if (e.keyword === 'type') return `attribute "${path}" must be ${(e.params as { type: string | string[] }).type.toString().replace(',', ' or ')}`;
  return `attribute "${path}" ${e.message ?? 'is not valid'}`;
}
