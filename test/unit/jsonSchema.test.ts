import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { planJsonSchema } from '../../src/core/plan/jsonSchema';
import { REPO_ROOT } from '../support/processes';
import packageJson from '../../package.json';

const SCHEMA_FILE = path.join(REPO_ROOT, 'schemas', 'aca-plan.schema.json');

describe('published plan JSON Schema', () => {
  it('is the one generated from the zod plan schema (ACA_UPDATE_SCHEMA=1 regenerates it)', () => {
    const generated = `${JSON.stringify(planJsonSchema(), null, 2)}\n`;
    if (process.env['ACA_UPDATE_SCHEMA'] === '1') {
      writeFileSync(SCHEMA_FILE, generated);
    }
    assert.equal(readFileSync(SCHEMA_FILE, 'utf8'), generated, 'schemas/aca-plan.schema.json is stale: run the unit tests with ACA_UPDATE_SCHEMA=1');
  });

  it('is contributed for *.aca-plan.json files', () => {
    assert.deepEqual(packageJson.contributes.jsonValidation, [{ fileMatch: ['*.aca-plan.json'], url: './schemas/aca-plan.schema.json' }]);
    const schema = planJsonSchema() as { required: string[]; properties: Record<string, unknown> };
    assert.deepEqual(schema.required, ['version', 'name', 'tasks']);
    assert.ok('strategy' in schema.properties);
  });
});
