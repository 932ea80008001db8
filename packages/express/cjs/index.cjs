'use strict';
// CommonJS entry: `module.exports` is connect-mongodb-session's factory,
// `require('@mongo-session/express')(session)`, carrying `.MongoStore` and `.default`.
const impl = require('../dist/impl.cjs');

module.exports = impl.connectMongoDBSession;
