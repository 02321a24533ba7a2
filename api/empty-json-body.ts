// kingbus's documented calls send `Content-Type: application/json` with no body (e.g.
// `curl -H "Content-Type:application/json" -X PUT …/binlog/syncer/stop`), which fastify's JSON
// parser answers 400. Here an empty JSON body is no body (the route sees none, as for the same call
// without the header); anything else goes to fastify's own parser, prototype-poisoning checks and
// all, whether it came with a length or chunked, unless it nests deeper than JSON_DEPTH_MAX
// (json-depth.ts): 400 BAD_JSON.
import type { FastifyInstance } from 'fastify';
import { JSON_DEPTH_MAX, jsonNestedDeeperThan } from './json-depth.js';

export function acceptEmptyJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    if (jsonNestedDeeperThan(text, JSON_DEPTH_MAX)) {
      done(Object.assign(new SyntaxError(`JSON nested deeper than ${JSON_DEPTH_MAX} levels`), { statusCode: 400 }));
      return;
    }
    parseJson(request, text, done);
  });
}
