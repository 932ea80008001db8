'use strict';
// require('@mongo-session/koa-session-store') is { create, closeConnections, default }, as koa-session-mongo's module was.
const impl = require('../dist/impl.cjs');

module.exports = {
  create: impl.create,
  closeConnections: impl.closeConnections,
  default: impl.default,
};

// Every other named export of the ESM entry, on the CommonJS export too.
for (const name of Object.keys(impl)) {
  if (!Object.prototype.hasOwnProperty.call(module.exports, name)) {
    Object.defineProperty(module.exports, name, { value: impl[name], enumerable: true });
  }
}
