"use strict";
// Loads the TypeScript sources as they are checked in, fast. Each .ts file
// is transpiled the way ts-node's transpile-only mode does it (types
// removed, nothing checked: `npm test` type-checks) and the result is kept
// under $PINNED_CACHE/transpiled/, named by a hash of the file's name and
// content, tsconfig.json and the TypeScript version. A changed file is a
// new name, so a kept copy is never stale; only a file not seen before
// loads TypeScript, which costs about a second on a 2-core machine.
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");

const root = path.join(__dirname, "..");
const tsconfigText = fs.readFileSync(path.join(root, "tsconfig.json"), "utf8");
const tsVersion = JSON.parse(fs.readFileSync(require.resolve("typescript/package.json"), "utf8")).version;
const cache = path.isAbsolute(process.env.PINNED_CACHE || "")
    ? path.join(process.env.PINNED_CACHE, "transpiled")
    : path.join(os.homedir(), ".cache", "pinned", "transpiled");
/** Transpiled code by file name, for mapping stack traces back to the sources. */
const outputs = new Map();
let ts;

function transpile(filename, source) {
    ts ??= require("typescript");
    const { compilerOptions } = ts.parseConfigFileTextToJson("tsconfig.json", tsconfigText).config;
    const options = ts.convertCompilerOptionsFromJson(compilerOptions, root).options;
    return ts.transpileModule(source, {
        fileName: filename,
        compilerOptions: { ...options, noEmit: false, sourceMap: false, inlineSourceMap: true, inlineSources: false },
    }).outputText;
}

function load(module, filename) {
    const source = fs.readFileSync(filename, "utf8");
    // The output depends on the file's base name (its source map names it), not on
    // the directory: copies of the project share their transpiled files.
    const key = crypto
        .createHash("sha256")
        .update(`${tsVersion}\0${tsconfigText}\0${path.basename(filename)}\0${source}`)
        .digest("hex");
    const file = path.join(cache, `${key}.js`);
    let code;
    try {
        code = fs.readFileSync(file, "utf8");
    } catch {
        code = transpile(filename, source);
        try {
            // Whole or not at all: written beside, then renamed into place.
            fs.mkdirSync(cache, { recursive: true, mode: 0o700 });
            const tmp = `${file}.${process.pid}.tmp`;
            fs.writeFileSync(tmp, code, { mode: 0o600 });
            fs.renameSync(tmp, file);
        } catch {
            // A cache that cannot be written only costs the next run the transpile.
        }
    }
    outputs.set(filename, code);
    module._compile(code, filename);
}

require.extensions[".ts"] = load;

// Stack traces name the .ts lines, through the inline source maps, as under ts-node.
const tsNodeDir = path.dirname(require.resolve("ts-node/package.json"));
require(require.resolve("@cspotcode/source-map-support", { paths: [tsNodeDir] })).install({
    environment: "node",
    retrieveFile: (p) => outputs.get(p) || "",
});
