import * as z from 'zod';
import { planSchema } from '../model/plan';

/**
 * The JSON Schema of a plan file as a person writes it (fields with defaults may be left out), published
 * as schemas/aca-plan.schema.json for editor completion. Draft 7: the widest editor support.
 */
export function planJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(planSchema, { io: 'input', target: 'draft-7' }) as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://aca.invalid/schemas/aca-plan.schema.json',
    title: 'ACA plan',
    description: 'A plan of the Automatic Coding Agent: tasks parsed from a tasks file, reviewed, then run by coding agents.',
  };
}
