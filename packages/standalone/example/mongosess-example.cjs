// The MongoSess README example, completed into a working program.
// Run from packages/standalone after a build: node example/mongosess-example.cjs
// (MONGO_HOST / MONGO_PORT / PORT override localhost:27017 and 8080).
var MongoSess = require('@mongo-session/standalone'),
  KeyGrip = require('keygrip'),
  http = require('http');

// Connect to MongoDB on localhost, using the 'example' database.
MongoSess.connect(
  {
    db: process.env.MONGO_DB || 'example',
    servers: { host: process.env.MONGO_HOST || 'localhost', port: Number(process.env.MONGO_PORT || 27017) },
    expires: 1000 * 60 * 60 * 24 * 7, // sessions live a week in the database
  },
  function (err) {
    if (err) console.error('MongoDB is not reachable yet; sessions answer 503 until it is.');
    var server = http.createServer(function (req, res) {
      // Cookies signed with the first key; the second still verifies (key rotation).
      var session = new MongoSess(req, res, { keys: new KeyGrip(['secret2', 'secret1']), expires: 0 });
      if (req.url === '/logout') {
        return session.end(function (err) {
          res.writeHead(err ? 503 : 200, { 'content-type': 'text/plain' });
          res.end(err ? 'Sessions are unavailable\n' : 'Bye\n');
        });
      }
      session.get('visits', function (err, visits) {
        if (err) {
          res.writeHead(503, { 'content-type': 'text/plain' });
          return res.end('Sessions are unavailable\n');
        }
        visits = (visits || 0) + 1;
        session.set({ visits: visits }, function (err) {
          res.writeHead(err ? 503 : 200, { 'content-type': 'text/plain' });
          res.end(err ? 'Sessions are unavailable\n' : 'Visits: ' + visits + '\n');
        });
      });
    });
    server.listen(Number(process.env.PORT || 8080), function () {
      console.log('listening on http://127.0.0.1:' + server.address().port + '/');
    });
    process.on('SIGTERM', function () {
      server.close();
      MongoSess.close();
    });
  },
);
