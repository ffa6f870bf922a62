/**
 * The CommonJS entry point of `voice-mfa/sqlite`: on Node 20.19 and later
 * `require()` loads the ES module itself, so both module systems share one copy.
 */
import sqliteStore = require('./index.js');
export = sqliteStore;
