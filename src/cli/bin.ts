#!/usr/bin/env node
// The `voice-mfa` executable.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
