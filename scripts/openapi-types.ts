// Writes the client types of the OpenAPI document (openapi-typescript) to test/contract/generated/.
import { writeFileSync } from 'node:fs';
import { apiTypesOf, generatedTypesPath, servedDocument } from '../test/contract/api-types.ts';

writeFileSync(generatedTypesPath, await apiTypesOf(await servedDocument()));
console.log(`wrote ${generatedTypesPath.pathname}`);
