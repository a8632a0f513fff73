// Lint rules for the TypeScript sources; `npm test` runs them (npm run lint).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

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
