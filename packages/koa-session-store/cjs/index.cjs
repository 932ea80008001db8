'use strict';
// require('@mongo-session/koa-session-store') is { create, closeConnections, default }, as koa-session-mongo's module was.
const impl = require('../dist/impl.cjs');

module.exports = {
  create: impl.create,
  closeConnections: impl.closeConnections,
  default: impl.default,
};
