'use strict';
// CommonJS entry: `module.exports` is connect-mongodb-session's factory,
// `require('@mongo-session/express')(session)`, carrying every named export of the
// ESM entry (`MongoStore`, `default`, the error classes, `ErrorCode`, `hashSessionId`, ...).
const impl = require('../dist/impl.cjs');

const factory = impl.connectMongoDBSession;
for (const name of Object.keys(impl)) {
  if (!Object.prototype.hasOwnProperty.call(factory, name)) {
    Object.defineProperty(factory, name, { value: impl[name], enumerable: true });
  }
}
module.exports = factory;
