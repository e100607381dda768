// What a page sends is checked on arrival, as every external protocol's input is: each relay message
// against its schema in the contract (web/contract/schema.ts). A page is trusted with nothing else.
import { Ajv, type ValidateFunction } from 'ajv';
import { BYTES_KEYWORD, PAGE_MESSAGE_SCHEMAS, type PageMessage } from '../../web/contract/index.ts';

const ajv = new Ajv({ allErrors: false, strict: false });
ajv.addKeyword({ keyword: BYTES_KEYWORD, schemaType: 'boolean', validate: (want: boolean, data: unknown) => !want || data instanceof Uint8Array });

const validators = new Map<string, ValidateFunction>(
  Object.entries(PAGE_MESSAGE_SCHEMAS).map(([type, schema]) => [type, ajv.compile(schema)]));

/** The message as a PageMessage, or why it is none. */
export function checkPageMessage(message: unknown): { message: PageMessage } | { why: string } {
  const type = (message as { type?: unknown } | null)?.type;
  const validate = typeof type === 'string' ? validators.get(type) : undefined;
  if (!validate) return { why: `unknown message type ${JSON.stringify(type)} (types: ${[...validators.keys()].join(', ')})` };
  if (validate(message)) return { message: message as PageMessage };
  const e = validate.errors?.[0];
  return { why: `a "${type}" message ${e?.instancePath ? `at ${e.instancePath} ` : ''}${e?.message ?? 'is not valid'}` };
}
