// Preloaded (`node --require`) into every example the README runner starts: reports the port of each
// HTTP server that starts listening, so the runner can send it real requests. Nothing else changes.
'use strict';
const http = require('node:http');
const listen = http.Server.prototype.listen;
http.Server.prototype.listen = function (...args) {
  this.once('listening', () => {
    const address = this.address();
    if (address && typeof address === 'object') process.stdout.write(`__EXAMPLE_LISTENING__ ${address.port}\n`);
  });
  return listen.apply(this, args);
};
