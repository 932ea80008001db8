'use strict';
// CommonJS entry: the module is MongoSess itself, like the seed
// (`const MongoSess = require('@mongo-session/standalone')`); it carries
// connect / close / disconnect, Session, MongoSess and default.
module.exports = require('../dist/impl.cjs').MongoSess;
