'use strict';
// require('@mongo-session/koa-generic-session') is the MongoDBStore class itself, as koa-mongodb-session's was.
const impl = require('../dist/impl.cjs');

module.exports = impl.MongoDBStore;
module.exports.MongoDBStore = impl.MongoDBStore;
module.exports.default = impl.MongoDBStore;
