"use strict";
// The engine's entry point (package.json `main`). It loads index.ts through
// bin/register.js, whose transpiled copies are kept per file content, so
// an engine run does not transpile the program's TypeScript sources again
// (ts-node did, about 0.5 s of every `pulumi preview` and `up` on 2 cores).
require("../bin/register");
module.exports = require("../index.ts");
