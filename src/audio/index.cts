/**
 * The CommonJS entry point of `voice-mfa/audio`: on Node 20.19 and later
 * `require()` loads the ES module itself, so both module systems share one copy.
 */
import audioAnalysis = require('./index.js');
export = audioAnalysis;
