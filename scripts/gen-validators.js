#!/usr/bin/env node
// Regenerates the standalone check modules from their TypeBox schemas (see protocol/src/codegen.ts), from the
// compiled schemas: run through `npm run gen:validators`, which builds first. validators.test.ts in each package
// fails while a generated module is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validatorModule } from '../protocol/dist/codegen.js';

const targets = [
  { schemas: '../protocol/dist/schemas.js', out: '../protocol/src/validators.generated.ts' },
  { schemas: '../edge/dist/config-schema.js', out: '../edge/src/config-validator.generated.ts' },
];

for (const { schemas, out } of targets) {
  const { generatedValidators } = await import(schemas);
  const file = fileURLToPath(new URL(out, import.meta.url));
  writeFileSync(file, validatorModule(generatedValidators));
  console.log(`gen:validators: wrote ${file}`);
}
