/**
 * The CommonJS entry point. On Node 20.19 and later `require()` loads the ES
 * module itself, so `require('voice-mfa')` and `import` share one copy of the
 * library: one module state, and `instanceof` works across both.
 */
import voiceMfa = require('./index.js');
export = voiceMfa;
