'use strict';
// CommonJS entry: the module is the factory itself, like koa-redis
// (`require('@mongo-session/koa')(options)`), with the named exports on it.
const impl = require('../dist/impl.cjs');

function createStore(options) {
  return impl.createStore(options);
}

module.exports = createStore;
module.exports.createStore = createStore;
module.exports.default = createStore;
module.exports.KoaSessionStore = impl.KoaSessionStore;

// Every other named export of the ESM entry, on the CommonJS export too.
for (const name of Object.keys(impl)) {
  if (!Object.prototype.hasOwnProperty.call(module.exports, name)) {
    Object.defineProperty(module.exports, name, { value: impl[name], enumerable: true });
  }
}
