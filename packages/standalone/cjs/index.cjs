'use strict';
// CommonJS entry: the module is MongoSess itself, like the seed
// (`const MongoSess = require('@mongo-session/standalone')`); it carries
// connect / close / disconnect, Session, MongoSess and default.
const impl = require('../dist/impl.cjs');

module.exports = impl.MongoSess;

// Every other named export of the ESM entry, on the CommonJS export too.
for (const name of Object.keys(impl)) {
  if (!Object.prototype.hasOwnProperty.call(module.exports, name)) {
    Object.defineProperty(module.exports, name, { value: impl[name], enumerable: true });
  }
}
