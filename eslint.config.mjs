// Lint rules for the TypeScript sources; `npm test` runs them (npm run lint).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/**
 * Import patterns that reach into the named top-level folders, from up to
 * three folders deep (pipeline/engine/x.ts is two): the folder itself and
 * anything under it.
 */
function above(...folders) {
    return folders.flatMap((f) => [`../${f}/*`, `../../${f}/*`, `../../../${f}/*`, `../${f}`, `../../${f}`, `../../../${f}`]);
}

/** A config entry refusing imports of `patterns` in `files`, with the layer's reason. */
function layer(files, patterns, message) {
    return {
        files: [files].flat(),
        rules: { "no-restricted-imports": ["error", { patterns: [{ group: patterns, message }] }] },
    };
}

export default tseslint.config(
    { ignores: ["node_modules/**", ".pulumi/**", ".pinned/**", "test/compile-fail/**"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        rules: {
            // Unused values are a compile error already (tsconfig noUnusedLocals); `_`-prefixed ones are meant.
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
            // Terminal colour codes (ESC) are matched on purpose: engine text and TTY output carry them.
            "no-control-regex": "off",
        },
    },
    // The layers (see "Layout" in the README): core is plain TypeScript that
    // neither prints nor knows Pulumi; components and the programs build
    // resources and know nothing of the release workflow; the workflow
    // (pipeline/) knows nothing of the command line. An import against the
    // grain is an error, so a cycle between layers cannot start.
    layer(
        "core/**/*.ts",
        ["@pulumi/*", ...above("pipeline", "cli", "components", "program")],
        "core is below Pulumi and every other layer",
    ),
    layer(
        ["components/**/*.ts", "program/**/*.ts"],
        above("pipeline", "cli"),
        "components and programs know nothing of the workflow or the CLI",
    ),
    layer("pipeline/**/*.ts", above("cli"), "the workflow knows nothing of the command line"),
    // One context (pipeline/context.ts), made by the command line and passed
    // down: below it nothing reads the process's environment or the tool's
    // own folder, so a test can give an action its own project and
    // environment. process.env and PROJECT_DIR are read by the entry points
    // only: cli/, program/ (the engine starts it), bin/ and the tests.
    {
        files: ["pipeline/**/*.ts", "core/**/*.ts"],
        rules: {
            "no-restricted-properties": [
                "error",
                { object: "process", property: "env", message: "take the environment from the caller (the context's env)" },
            ],
            "no-restricted-syntax": [
                "error",
                {
                    selector: "ImportDeclaration[source.value=/(^|\\/)projectDir$/]",
                    message: "take the project folder from the caller (the context's projectDir)",
                },
            ],
        },
    },
    {
        // A deliberate write, not a read: while it holds a deploy target,
        // pinned marks its own environment with the holder's token, so that
        // every process it starts, and what those start, carries the mark
        // for the next holder to find (locks/holding.ts).
        files: ["pipeline/locks/holding.ts"],
        rules: { "no-restricted-properties": "off" },
    },
    {
        // The loader runs before TypeScript can: plain CommonJS for Node.
        files: ["bin/**/*.js", "program/**/*.js"],
        languageOptions: {
            sourceType: "commonjs",
            globals: { require: "readonly", module: "readonly", __dirname: "readonly", process: "readonly" },
        },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
);
