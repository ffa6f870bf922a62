/**
 * The CommonJS entry point of `voice-mfa/postgres`: on Node 20.19 and later
 * `require()` loads the ES module itself, so both module systems share one copy.
 */
import postgresStore = require('./index.js');
export = postgresStore;
