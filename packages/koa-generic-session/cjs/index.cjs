'use strict';
// require('@mongo-session/koa-generic-session') is the MongoDBStore class itself, as koa-mongodb-session's was.
const impl = require('../dist/impl.cjs');

module.exports = impl.MongoDBStore;
module.exports.MongoDBStore = impl.MongoDBStore;
module.exports.default = impl.MongoDBStore;

// Every other named export of the ESM entry, on the CommonJS export too.
for (const name of Object.keys(impl)) {
  if (!Object.prototype.hasOwnProperty.call(module.exports, name)) {
    Object.defineProperty(module.exports, name, { value: impl[name], enumerable: true });
  }
}
