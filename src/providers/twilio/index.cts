/**
 * The CommonJS entry point of `voice-mfa/twilio`: on Node 20.19 and later
 * `require()` loads the ES module itself, so both module systems share one copy.
 */
import twilioProvider = require('./index.js');
export = twilioProvider;
