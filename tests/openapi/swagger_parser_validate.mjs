// Validates an OpenAPI document with @apidevtools/swagger-parser: the
// OpenAPI 3.1 schema, then every $ref resolved. Exits 1 with the reason.
import SwaggerParser from "@apidevtools/swagger-parser";

const file = process.argv[2];
try {
  const api = await SwaggerParser.validate(file);
  const operations = Object.values(api.paths).reduce(
    (n, item) => n + Object.keys(item).length, 0);
  console.log(`swagger-parser: ${file} is valid OpenAPI ${api.openapi}: ` +
              `${Object.keys(api.paths).length} paths, ${operations} operations`);
} catch (error) {
  console.error(`swagger-parser: ${file} is not valid: ${error.message}`);
  process.exit(1);
}
