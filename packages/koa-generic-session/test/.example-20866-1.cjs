
    const Koa = require('koa');
    const session = require('koa-generic-session');
    const convert = require('koa-convert');
    const MongoDBStore = require('@mongo-session/koa-generic-session');

    const app = new Koa();
    const store = new MongoDBStore(
      {
        uri: 'mongodb://bad.host:27000/connect_mongodb_session_test?connectTimeoutMS=10',
        collection: 'mySessions'
      },
      function(error) {
        // Should have gotten an error
      });

    store.on('error', function(error) {
      // Also get an error here
    });

    app.keys = ['This is a secret']

    app.use(convert(session({
      cookie: {
        maxAge: 1000 * 60 * 60 * 24 * 7 // 1 week
      },
      store
    })))

    app.use(ctx => {
      ctx.body = `Hello ${JSON.stringify(ctx.session)}`;
    });

    const __server = app.listen(0, () => console.log('__PORT__' + __server.address().port));
