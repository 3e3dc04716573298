// Copies the files sources read at runtime (SDL, protos, OpenAPI) next to the compiled JavaScript.
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ASSET = /\.(graphql|proto|ya?ml)$/;

function copy(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) copy(path);
    else if (ASSET.test(name)) cpSync(path, join('dist', path));
  }
}

copy('sources');
copy('src');
// The gateway's shared SDL (schema/directives.graphql) and the schema artifacts.
copy('schema');
