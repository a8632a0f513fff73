/**
 * Schema conformance of the docker resource plugin that
 * scripts/env/provider-docker.sh builds, against the npm SDK it serves.
 *
 * The plugin is stamped with the version of the official one (4.6.2), so the
 * engine gives it every program written with @pulumi/docker 4.6.2. That SDK
 * is generated from the official plugin's schema, so its declarations are
 * the reference: every resource, function, input and output it declares must
 * exist in the plugin's schema with the same name, type and required-ness.
 *
 *   sdkDeclaredSchema(dir)    reads the installed SDK: its .d.ts files with the
 *                             TypeScript compiler API, its .js files for the
 *                             type tokens (`X.__pulumiType = '…'`,
 *                             `pulumi.runtime.invoke("…")`).
 *   pluginSchemaShape(json)   reads a Pulumi package schema (the plugin's,
 *                             from `pulumi package get-schema BINARY`).
 *   compareSchemas(sdk, plugin)  the differences, one sentence each.
 *
 * Both readers produce the same normalised shape. A type is one of "string",
 * "number" (schema integer and number alike), "boolean", "any" (also
 * pulumi.json#/Json), "asset" (asset or archive), "archive", "array<T>",
 * "map<T>", "union<A|B>", "object:Name" or "enum:Name", where Name is the name
 * the SDK gives the type (`docker:index/remoteImageBuild:RemoteImageBuild` →
 * RemoteImageBuild, `docker:config/registryAuth:registryAuth` →
 * config.RegistryAuth). Object types are kept twice, as inputs see them and
 * as outputs see them, because their required properties can differ
 * (language.nodejs.requiredInputs / requiredOutputs in a schema, types/input.d.ts
 * and types/output.d.ts in the SDK).
 *
 * The rules compareSchemas applies:
 *   - A resource or function the SDK declares must exist under the same token;
 *     so must each input (constructor args, function args) and output (class
 *     properties, function results), with the same type. Extra resources,
 *     functions and optional properties in the plugin are allowed.
 *   - Inputs: required-ness must be the same both ways. Required by the plugin
 *     but optional in the SDK: the plugin refuses programs the SDK accepts.
 *     Optional in the plugin but required in the SDK: the official plugin
 *     refuses a program without it, ours would not; reported too, since such a
 *     plugin is not the one the SDK was made for. An input the plugin requires
 *     that the SDK does not know at all is reported (no program could set it).
 *   - Outputs: an output the SDK types as always present (`pulumi.Output<T>`,
 *     a result property without `?`) must be required in the plugin's schema;
 *     an output the SDK types as possibly undefined may be either.
 *   - Object types are compared property by property under the same rules,
 *     recursively, wherever a property of both schemas refers to the same type
 *     (a missing resource does not also report each of its types); a
 *     difference the input and the output side of a type share is said once.
 *     Enums must have every value the SDK declares.
 *   - The provider resource is compared like a resource. Config variables are
 *     compared by presence and type only: the SDK types every variable without
 *     a required flag as possibly undefined, whatever its default.
 *   - Not compared: descriptions, defaults, secret-ness, deprecation, aliases,
 *     resource state inputs (derived from the outputs).
 *
 * Command line, from any directory (bin/register.js loads TypeScript as
 * `pinned` does; from the repository root `npx ts-node --transpile-only` works too):
 *   node -r REPO/bin/register.js REPO/scripts/env/provider-docker/schemaConformance.ts \
 *     (--schema FILE | --plugin BINARY [--pulumi CLI]) [--sdk DIR]
 * prints one line per difference and a summary; exit 0 when there is none,
 * 1 when there are, 2 when it could not check. scripts/env/provider-docker.sh
 * runs it on each plugin it builds.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { cacheDir } from "../../../pipeline/project/localEnvironment";

/** One input or output: its normalised type and whether it is required (always present, for outputs). */
export interface PropertyShape {
    readonly type: string;
    readonly required: boolean;
}

export type Properties = Readonly<Record<string, PropertyShape>>;

/** A resource (constructor inputs, class outputs) or a function (args, result). */
export interface CallableShape {
    readonly token: string;
    readonly inputs: Properties;
    readonly outputs: Properties;
}

export interface SchemaShape {
    /** What it was read from, for messages: "@pulumi/docker 4.6.2", a file name. */
    readonly source: string;
    readonly resources: Readonly<Record<string, CallableShape>>;
    readonly functions: Readonly<Record<string, CallableShape>>;
    readonly provider?: CallableShape;
    readonly config?: Properties;
    /** Object types by the SDK's name, as input properties see them. */
    readonly inputTypes: Readonly<Record<string, Properties>>;
    /** Object types by the SDK's name, as outputs see them. */
    readonly outputTypes: Readonly<Record<string, Properties>>;
    /** Enum values (as strings) by the SDK's name. */
    readonly enums: Readonly<Record<string, readonly string[]>>;
}

/** The token the SDK's Provider class registers (`Provider.__pulumiType = 'docker'`). */
function providerToken(pkg: string): string {
    return `pulumi:providers:${pkg}`;
}

// ---------------------------------------------------------------------------
// The SDK's declarations
// ---------------------------------------------------------------------------

interface TypeReading {
    readonly type: string;
    /** `T | undefined` */
    readonly undefinedable: boolean;
}

class SdkReader {
    /** Interface names of types/input.d.ts, for the `FooArgs` → `Foo` rename of plain-and-input types. */
    private readonly inputInterfaces = new Set<string>();

    constructor(private readonly dir: string) {}

    parse(file: string): ts.SourceFile {
        return ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    }

    fail(node: ts.Node, what: string): never {
        const sf = node.getSourceFile();
        const { line } = sf.getLineAndCharacterOfPosition(node.getStart());
        throw new Error(`${path.relative(this.dir, sf.fileName)}:${line + 1}: ${what}: ${node.getText()}`);
    }

    /** The normalised type of a type node, and whether it admits undefined. */
    read(node: ts.TypeNode): TypeReading {
        if (ts.isParenthesizedTypeNode(node)) {
            return this.read(node.type);
        }
        if (ts.isUnionTypeNode(node)) {
            const members = node.types.filter((t) => t.kind !== ts.SyntaxKind.UndefinedKeyword && !isNullLiteral(t));
            const readings = members.map((t) => this.read(t));
            const undefinedable = members.length < node.types.length || readings.some((r) => r.undefinedable);
            const types = [...new Set(readings.map((r) => r.type))].sort();
            if (types.length === 2 && types[0] === "archive" && types[1] === "asset") {
                return { type: "asset", undefinedable };
            }
            if (types.length === 0) {
                this.fail(node, "a type that is only undefined");
            }
            return { type: types.length === 1 ? types[0] : `union<${types.join("|")}>`, undefinedable };
        }
        switch (node.kind) {
            case ts.SyntaxKind.StringKeyword:
                return { type: "string", undefinedable: false };
            case ts.SyntaxKind.NumberKeyword:
                return { type: "number", undefinedable: false };
            case ts.SyntaxKind.BooleanKeyword:
                return { type: "boolean", undefinedable: false };
            case ts.SyntaxKind.AnyKeyword:
            case ts.SyntaxKind.UnknownKeyword:
                return { type: "any", undefinedable: false };
        }
        if (ts.isArrayTypeNode(node)) {
            return { type: `array<${this.read(node.elementType).type}>`, undefinedable: false };
        }
        if (ts.isTypeLiteralNode(node)) {
            const [index] = node.members;
            if (node.members.length === 1 && ts.isIndexSignatureDeclaration(index) && index.type) {
                return { type: `map<${this.read(index.type).type}>`, undefinedable: false };
            }
            this.fail(node, "an object literal type that is not a map");
        }
        if (ts.isLiteralTypeNode(node)) {
            if (ts.isStringLiteral(node.literal)) return { type: "string", undefinedable: false };
            if (ts.isNumericLiteral(node.literal)) return { type: "number", undefinedable: false };
            if (node.literal.kind === ts.SyntaxKind.TrueKeyword || node.literal.kind === ts.SyntaxKind.FalseKeyword) {
                return { type: "boolean", undefinedable: false };
            }
        }
        if (ts.isTypeReferenceNode(node)) {
            const name = entityName(node.typeName);
            const args = node.typeArguments ?? [];
            if ((name === "pulumi.Input" || name === "pulumi.Output") && args.length === 1) {
                return this.read(args[0]);
            }
            if (name === "Record" && args.length === 2) {
                return { type: `map<${this.read(args[1]).type}>`, undefinedable: false };
            }
            if (name === "pulumi.asset.Asset" || name === "pulumi.asset.FileAsset" || name === "pulumi.asset.StringAsset") {
                return { type: "asset", undefinedable: false };
            }
            if (name === "pulumi.asset.Archive" || name === "pulumi.asset.AssetArchive" || name === "pulumi.asset.FileArchive") {
                return { type: "archive", undefinedable: false };
            }
            const [ns, ...rest] = name.split(".");
            if (rest.length > 0 && ns === "outputs") {
                return { type: `object:${rest.join(".")}`, undefinedable: false };
            }
            if (rest.length > 0 && ns === "inputs") {
                return { type: `object:${this.inputTypeName(rest.join("."))}`, undefinedable: false };
            }
            if (rest.length > 0 && ns === "enums") {
                return { type: `enum:${rest.join(".")}`, undefinedable: false };
            }
        }
        this.fail(node, "a type this checker does not know");
    }

    /** Plain-and-input types: nodejs names the input form `FooArgs` next to a plain `Foo`. */
    private inputTypeName(name: string): string {
        const base = name.replace(/Args$/, "");
        return base !== name && this.inputInterfaces.has(base) ? base : name;
    }

    /** Properties of an interface (or a class's readonly instance properties). */
    properties(members: ts.NodeArray<ts.TypeElement | ts.ClassElement>, outputsOfClass: boolean): Record<string, PropertyShape> {
        const props: Record<string, PropertyShape> = {};
        for (const m of members) {
            if (!(ts.isPropertySignature(m) || ts.isPropertyDeclaration(m)) || !m.type) continue;
            const modifiers = ts.canHaveModifiers(m) ? (ts.getModifiers(m) ?? []) : [];
            if (outputsOfClass) {
                if (modifiers.some((x) => x.kind === ts.SyntaxKind.StaticKeyword)) continue;
                if (!modifiers.some((x) => x.kind === ts.SyntaxKind.ReadonlyKeyword)) continue;
            }
            const name = propertyName(m.name);
            if (name.startsWith("__")) continue; // __pulumiType and the like
            const reading = this.read(m.type);
            props[name] = { type: reading.type, required: !m.questionToken && !reading.undefinedable };
        }
        return props;
    }

    /** Interfaces of a types file, top level and inside namespaces (`config.RegistryAuth`). */
    interfaces(file: string): Map<string, ts.InterfaceDeclaration> {
        const found = new Map<string, ts.InterfaceDeclaration>();
        if (!fs.existsSync(file)) return found;
        const visit = (statements: ts.NodeArray<ts.Statement>, prefix: string) => {
            for (const s of statements) {
                if (ts.isInterfaceDeclaration(s)) {
                    found.set(prefix + s.name.text, s);
                } else if (ts.isModuleDeclaration(s) && s.body && ts.isModuleBlock(s.body)) {
                    visit(s.body.statements, `${prefix}${s.name.getText()}.`);
                }
            }
        };
        visit(this.parse(file).statements, "");
        return found;
    }

    readTypes(): { inputTypes: Record<string, Properties>; outputTypes: Record<string, Properties> } {
        const inputs = this.interfaces(path.join(this.dir, "types", "input.d.ts"));
        const outputs = this.interfaces(path.join(this.dir, "types", "output.d.ts"));
        for (const name of inputs.keys()) this.inputInterfaces.add(name);
        const inputTypes: Record<string, Properties> = {};
        const outputTypes: Record<string, Properties> = {};
        for (const [name, decl] of inputs) {
            const renamed = this.inputTypeName(name);
            if (renamed === name || !inputTypes[renamed]) inputTypes[renamed] = this.properties(decl.members, false);
        }
        for (const [name, decl] of outputs) outputTypes[name] = this.properties(decl.members, false);
        return { inputTypes, outputTypes };
    }

    /** `export declare const BuilderVersion: { readonly BuilderV1: "BuilderV1"; … }` in types/enums. */
    readEnums(): Record<string, string[]> {
        const enums: Record<string, string[]> = {};
        const root = path.join(this.dir, "types", "enums");
        const walk = (dir: string, prefix: string) => {
            if (!fs.existsSync(dir)) return;
            for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
                if (entry.isDirectory()) {
                    walk(path.join(dir, entry.name), `${prefix}${entry.name}.`);
                } else if (entry.name === "index.d.ts") {
                    for (const s of this.parse(path.join(dir, entry.name)).statements) {
                        if (!ts.isVariableStatement(s)) continue;
                        for (const d of s.declarationList.declarations) {
                            if (!ts.isIdentifier(d.name) || !d.type || !ts.isTypeLiteralNode(d.type)) continue;
                            enums[prefix + d.name.text] = d.type.members.flatMap((m) =>
                                ts.isPropertySignature(m) && m.type && ts.isLiteralTypeNode(m.type) ? [literalText(m.type.literal)] : [],
                            );
                        }
                    }
                }
            }
        };
        walk(root, "");
        return enums;
    }
}

function entityName(name: ts.EntityName): string {
    return ts.isIdentifier(name) ? name.text : `${entityName(name.left)}.${name.right.text}`;
}

function propertyName(name: ts.PropertyName): string {
    return ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) ? name.text : name.getText();
}

function isNullLiteral(node: ts.TypeNode): boolean {
    return ts.isLiteralTypeNode(node) && node.literal.kind === ts.SyntaxKind.NullKeyword;
}

function literalText(literal: ts.LiteralTypeNode["literal"]): string {
    if (ts.isStringLiteral(literal) || ts.isNumericLiteral(literal)) return literal.text;
    if (ts.isPrefixUnaryExpression(literal) && ts.isNumericLiteral(literal.operand)) return `-${literal.operand.text}`;
    return literal.getText();
}

/** `Image.__pulumiType = 'docker:index/image:Image';` → Image → token. */
function classTokens(js: string): Map<string, string> {
    const tokens = new Map<string, string>();
    for (const m of js.matchAll(/^\s*(\w+)\.__pulumiType = ['"]([^'"]+)['"]/gm)) tokens.set(m[1], m[2]);
    return tokens;
}

/** `function getLogs(args, opts) { … pulumi.runtime.invoke("docker:index/getLogs:getLogs", …` → getLogs → token. */
function functionTokens(js: string): Map<string, string> {
    const tokens = new Map<string, string>();
    const starts = [...js.matchAll(/^function (\w+)\(/gm)];
    starts.forEach((m, i) => {
        const body = js.slice(m.index, starts[i + 1]?.index ?? js.length);
        const invoke = /pulumi\.runtime\.invoke(?:Output|Single|SingleOutput)?\(\s*["']([^"']+)["']/.exec(body);
        if (invoke) tokens.set(m[1], invoke[1]);
    });
    return tokens;
}

const RESOURCE_BASES = new Set(["pulumi.CustomResource", "pulumi.ProviderResource", "pulumi.ComponentResource"]);

/**
 * What an installed nodejs SDK of a Pulumi package declares: each resource's
 * constructor inputs and class outputs, each function's args and result, the
 * provider, config, and the object types and enums they use.
 */
export function sdkDeclaredSchema(sdkDir: string): SchemaShape {
    const pkgJson = JSON.parse(fs.readFileSync(path.join(sdkDir, "package.json"), "utf8")) as {
        name: string;
        version: string;
        pulumi?: { name?: string };
    };
    const pkg = pkgJson.pulumi?.name ?? pkgJson.name.replace(/^@pulumi\//, "");
    const reader: SdkReader = new SdkReader(sdkDir); // typed, so that reader.fail() narrows
    const { inputTypes, outputTypes } = reader.readTypes();
    const enums = reader.readEnums();
    const resources: Record<string, CallableShape> = {};
    const functions: Record<string, CallableShape> = {};
    let provider: CallableShape | undefined;

    const files = fs
        .readdirSync(sdkDir)
        .filter((f) => f.endsWith(".d.ts") && f !== "index.d.ts" && f !== "utilities.d.ts")
        .sort();
    for (const file of files) {
        const sf = reader.parse(path.join(sdkDir, file));
        const jsFile = path.join(sdkDir, file.replace(/\.d\.ts$/, ".js"));
        const js = fs.existsSync(jsFile) ? fs.readFileSync(jsFile, "utf8") : "";
        const interfaces = new Map<string, ts.InterfaceDeclaration>();
        for (const s of sf.statements) if (ts.isInterfaceDeclaration(s)) interfaces.set(s.name.text, s);
        const interfaceProps = (typeNode: ts.TypeNode | undefined): Record<string, PropertyShape> => {
            if (!typeNode) return {};
            if (!ts.isTypeReferenceNode(typeNode)) reader.fail(typeNode, "an argument or result type that is not a named interface");
            const decl = interfaces.get(entityName(typeNode.typeName));
            if (!decl) reader.fail(typeNode, "an argument or result interface not declared in the same file");
            return reader.properties(decl.members, false);
        };

        for (const s of sf.statements) {
            if (ts.isClassDeclaration(s) && s.name) {
                const base = s.heritageClauses
                    ?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)
                    ?.types.map((t) => t.expression.getText())[0];
                if (!base || !RESOURCE_BASES.has(base)) continue;
                const token = classTokens(js).get(s.name.text);
                if (!token) reader.fail(s.name, `no ${s.name.text}.__pulumiType in ${path.basename(jsFile)} for the class`);
                const ctor = s.members.find(ts.isConstructorDeclaration);
                const argsParam = ctor?.parameters.find((p) => ts.isIdentifier(p.name) && p.name.text === "args");
                const shape: CallableShape = {
                    token: base === "pulumi.ProviderResource" ? providerToken(pkg) : token,
                    inputs: interfaceProps(argsParam?.type),
                    outputs: reader.properties(s.members, true),
                };
                if (base === "pulumi.ProviderResource") provider = shape;
                else resources[token] = shape;
            } else if (ts.isFunctionDeclaration(s) && s.name && s.type && ts.isTypeReferenceNode(s.type)) {
                // getFoo(args): Promise<GetFooResult>; getFooOutput (pulumi.Output<…>) is the same function.
                if (entityName(s.type.typeName) !== "Promise" || s.type.typeArguments?.length !== 1) continue;
                const token = functionTokens(js).get(s.name.text);
                if (!token) reader.fail(s.name, `no pulumi.runtime.invoke in ${path.basename(jsFile)} for the function`);
                const args = s.parameters.find((p) => ts.isIdentifier(p.name) && p.name.text === "args");
                functions[token] = { token, inputs: interfaceProps(args?.type), outputs: interfaceProps(s.type.typeArguments[0]) };
            }
        }
    }

    let config: Record<string, PropertyShape> | undefined;
    const vars = path.join(sdkDir, "config", "vars.d.ts");
    if (fs.existsSync(vars)) {
        config = {};
        for (const s of reader.parse(vars).statements) {
            if (!ts.isVariableStatement(s)) continue;
            for (const d of s.declarationList.declarations) {
                if (!ts.isIdentifier(d.name) || !d.type) continue;
                const reading = reader.read(d.type);
                config[d.name.text] = { type: reading.type, required: !reading.undefinedable };
            }
        }
    }

    return {
        source: `${pkgJson.name} ${pkgJson.version}`,
        resources,
        functions,
        provider,
        config,
        inputTypes,
        outputTypes,
        enums,
    };
}

// ---------------------------------------------------------------------------
// A Pulumi package schema
// ---------------------------------------------------------------------------

interface TypeSpec {
    type?: string;
    $ref?: string;
    items?: TypeSpec;
    additionalProperties?: TypeSpec;
    oneOf?: TypeSpec[];
}

interface ObjectSpec {
    properties?: Record<string, TypeSpec>;
    required?: string[];
}

interface ComplexTypeSpec extends ObjectSpec {
    type?: string;
    enum?: Array<{ value?: unknown; name?: string }>;
    language?: { nodejs?: { requiredInputs?: string[]; requiredOutputs?: string[] } };
}

interface ResourceSpec {
    properties?: Record<string, TypeSpec>;
    required?: string[];
    inputProperties?: Record<string, TypeSpec>;
    requiredInputs?: string[];
}

interface PackageSpec {
    name?: string;
    config?: { variables?: Record<string, TypeSpec>; required?: string[] };
    provider?: ResourceSpec;
    resources?: Record<string, ResourceSpec>;
    functions?: Record<string, { inputs?: ObjectSpec; outputs?: ObjectSpec }>;
    types?: Record<string, ComplexTypeSpec>;
}

/**
 * The name the nodejs SDK gives a schema type token:
 * `docker:index/remoteImageBuild:RemoteImageBuild` → RemoteImageBuild,
 * `docker:config/registryAuth:registryAuth` → config.RegistryAuth.
 */
export function sdkTypeName(token: string): string {
    const parts = token.split(":");
    const name = parts[parts.length - 1];
    const module = (parts.length === 3 ? parts[1] : "index").split("/")[0];
    const title = name.charAt(0).toUpperCase() + name.slice(1);
    return module === "index" || module === "" ? title : `${module}.${title}`;
}

/** The normalised form of a Pulumi package schema (a parsed schema.json). */
export function pluginSchemaShape(schemaJson: unknown, source = "the plugin's schema"): SchemaShape {
    const spec = (schemaJson ?? {}) as PackageSpec;
    const types = spec.types ?? {};

    const norm = (t: TypeSpec | undefined): string => {
        if (!t) return "any";
        if (t.$ref !== undefined) {
            const ref = t.$ref;
            const local = /#\/types\/(.+)$/.exec(ref);
            if (local) {
                const token = decodeURIComponent(local[1]);
                return `${types[token]?.enum ? "enum" : "object"}:${sdkTypeName(token)}`;
            }
            const resource = /#\/resources\/(.+)$/.exec(ref);
            if (resource) return `resource:${sdkTypeName(decodeURIComponent(resource[1]))}`;
            if (/pulumi\.json#\/(Any|Json)$/.test(ref)) return "any";
            if (/pulumi\.json#\/Asset$/.test(ref)) return "asset";
            if (/pulumi\.json#\/Archive$/.test(ref)) return "archive";
            return `ref:${ref}`;
        }
        if (t.oneOf) {
            const members = [...new Set(t.oneOf.map(norm))].sort();
            return members.length === 1 ? members[0] : `union<${members.join("|")}>`;
        }
        switch (t.type) {
            case "string":
            case "boolean":
                return t.type;
            case "integer":
            case "number":
                return "number";
            case "array":
                return `array<${norm(t.items)}>`;
            case "object":
                // A schema map's values are strings unless additionalProperties says otherwise.
                return `map<${t.additionalProperties ? norm(t.additionalProperties) : "string"}>`;
            default:
                return t.type === undefined ? "any" : `unknown:${t.type}`;
        }
    };
    const props = (properties: Record<string, TypeSpec> | undefined, required: readonly string[] | undefined): Properties => {
        const req = new Set(required ?? []);
        return Object.fromEntries(Object.entries(properties ?? {}).map(([name, t]) => [name, { type: norm(t), required: req.has(name) }]));
    };
    const resource = (token: string, r: ResourceSpec): CallableShape => ({
        token,
        inputs: props(r.inputProperties, r.requiredInputs),
        outputs: props(r.properties, r.required),
    });

    const inputTypes: Record<string, Properties> = {};
    const outputTypes: Record<string, Properties> = {};
    const enums: Record<string, string[]> = {};
    for (const [token, t] of Object.entries(types)) {
        const name = sdkTypeName(token);
        if (t.enum) {
            enums[name] = t.enum.map((e) => String(e.value ?? e.name));
            continue;
        }
        const nodejs = t.language?.nodejs;
        inputTypes[name] = props(t.properties, nodejs?.requiredInputs ?? t.required);
        outputTypes[name] = props(t.properties, nodejs?.requiredOutputs ?? t.required);
    }

    const pkg = spec.name ?? "";
    return {
        source,
        resources: Object.fromEntries(Object.entries(spec.resources ?? {}).map(([token, r]) => [token, resource(token, r)])),
        functions: Object.fromEntries(
            Object.entries(spec.functions ?? {}).map(([token, f]) => [
                token,
                {
                    token,
                    inputs: props(f.inputs?.properties, f.inputs?.required),
                    outputs: props(f.outputs?.properties, f.outputs?.required),
                },
            ]),
        ),
        provider: spec.provider ? resource(providerToken(pkg), spec.provider) : undefined,
        config: spec.config ? props(spec.config.variables, spec.config.required) : undefined,
        inputTypes,
        outputTypes,
        enums,
    };
}

// ---------------------------------------------------------------------------
// The comparison
// ---------------------------------------------------------------------------

type Role = "input" | "output";

/** The object and enum types a normalised type refers to. */
function referencedTypes(type: string): Array<{ kind: "object" | "enum"; name: string }> {
    return [...type.matchAll(/\b(object|enum):([\w.]+)/g)].map((m) => ({ kind: m[1] as "object" | "enum", name: m[2] }));
}

/** One difference: "<subject> <kind> <prop><text>", e.g. "docker:index/network:Network" "input" "checkDuplicate" " is missing". */
interface Finding {
    readonly subject: string;
    readonly kind: string;
    readonly prop: string;
    readonly text: string;
    /** What kind of difference, for saying a type's input and output differences once. */
    readonly tag: string;
}

function sentence(f: Finding): string {
    return f.prop ? `${f.subject} ${f.kind} ${f.prop}${f.text}` : `${f.subject}${f.text}`;
}

/**
 * The ways `actual` (a plugin's schema) falls short of `declared` (what the
 * SDK declares), one sentence each, in a stable order; empty when it has
 * everything. The rules are in this module's header.
 */
export function compareSchemas(declared: SchemaShape, actual: SchemaShape): string[] {
    const sdk = declared.source;
    const out: string[] = [];
    // Object types to compare, per role, in the order first reached.
    const pending: Array<{ role: Role; name: string }> = [];
    const queued = new Set<string>();
    const enumsReached = new Set<string>();
    const reach = (role: Role, type: string) => {
        for (const ref of referencedTypes(type)) {
            if (ref.kind === "enum") {
                enumsReached.add(ref.name);
            } else if (!queued.has(`${role} ${ref.name}`)) {
                queued.add(`${role} ${ref.name}`);
                pending.push({ role, name: ref.name });
            }
        }
    };

    /** The differences of one property set; `kind` names its members in the sentences ("input", "output", "property"). */
    const properties = (subject: string, kind: string, role: Role, want: Properties, have: Properties, typeRules: boolean): Finding[] => {
        const found: Finding[] = [];
        const say = (prop: string, text: string, tag = text) => found.push({ subject, kind, prop, text, tag });
        for (const name of Object.keys(want).sort()) {
            const w = want[name];
            const h = have[name];
            if (!h) {
                say(name, " is missing");
                continue;
            }
            if (w.type !== h.type) {
                say(name, `: type ${h.type} in the plugin, ${w.type} in ${sdk}`);
                continue;
            }
            reach(role, w.type);
            if (!typeRules) continue;
            if (role === "input" && h.required && !w.required) {
                say(name, `: required in the plugin, optional in ${sdk}`);
            } else if (role === "input" && !h.required && w.required) {
                say(name, `: optional in the plugin, required in ${sdk} (the official plugin refuses a program without it)`, "optional");
            } else if (role === "output" && !h.required && w.required) {
                say(name, `: may be absent in the plugin, always present in ${sdk}`, "absent");
            }
        }
        if (role === "input" && typeRules) {
            for (const name of Object.keys(have).sort()) {
                if (have[name].required && !want[name]) say(name, ` is required by the plugin but unknown to ${sdk}`);
            }
        }
        return found;
    };
    const callable = (subject: string, want: CallableShape, have: CallableShape) => {
        out.push(...properties(subject, "input", "input", want.inputs, have.inputs, true).map(sentence));
        out.push(...properties(subject, "output", "output", want.outputs, have.outputs, true).map(sentence));
    };

    for (const token of Object.keys(declared.resources).sort()) {
        const have = actual.resources[token];
        if (!have) out.push(`resource ${token} is missing`);
        else callable(token, declared.resources[token], have);
    }
    if (declared.provider) {
        if (!actual.provider) out.push(`the provider resource (${declared.provider.token}) is missing`);
        else callable("provider", declared.provider, actual.provider);
    }
    if (declared.config) {
        out.push(...properties("config", "variable", "output", declared.config, actual.config ?? {}, false).map(sentence));
    }
    for (const token of Object.keys(declared.functions).sort()) {
        const have = actual.functions[token];
        if (!have) out.push(`function ${token} is missing`);
        else callable(`function ${token}`, declared.functions[token], have);
    }

    // Object types, as each role reached them (comparing one can reach more).
    const byRole: Record<Role, Map<string, Finding[]>> = { input: new Map(), output: new Map() };
    const order: string[] = [];
    for (let i = 0; i < pending.length; i++) {
        const { role, name } = pending[i];
        const want = (role === "input" ? declared.inputTypes : declared.outputTypes)[name];
        const have = (role === "input" ? actual.inputTypes : actual.outputTypes)[name];
        if (!order.includes(name)) order.push(name);
        if (!want) continue; // the SDK has no such type in this role: nothing it could send or read
        const missing: Finding = { subject: `type ${name}`, kind: "", prop: "", text: " is missing", tag: "missing" };
        byRole[role].set(name, have ? properties(`type ${name}`, "property", role, want, have, true) : [missing]);
    }
    // A type's properties serve both roles: a difference both see is said once, naming neither.
    for (const name of order) {
        const input = byRole.input.get(name);
        const output = byRole.output.get(name);
        if (!input || !output) {
            out.push(...(input ?? output ?? []).map(sentence));
            continue;
        }
        const said = new Set<Finding>();
        for (const i of input) {
            const same = output.find((o) => o.prop === i.prop && o.text === i.text);
            const requiredness = output.find((o) => o.prop === i.prop && i.tag === "optional" && o.tag === "absent");
            if (same) {
                said.add(same);
                out.push(sentence(i));
            } else if (requiredness) {
                said.add(requiredness);
                out.push(
                    sentence({ ...i, text: `: optional in the plugin, required in ${sdk} as an input and always present as an output` }),
                );
            } else {
                out.push(sentence({ ...i, kind: `input ${i.kind}` }));
            }
        }
        out.push(...output.filter((o) => !said.has(o)).map((o) => sentence({ ...o, kind: `output ${o.kind}` })));
    }

    for (const name of [...enumsReached].sort()) {
        const want = declared.enums[name];
        const have = actual.enums[name];
        if (!want) continue;
        if (!have) {
            out.push(`enum ${name} is missing`);
            continue;
        }
        for (const value of want) if (!have.includes(value)) out.push(`enum ${name} value ${value} is missing`);
    }
    return out;
}

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
const USAGE = `usage: schemaConformance.ts (--schema FILE | --plugin BINARY [--pulumi CLI]) [--sdk DIR]
  --schema FILE    a Pulumi package schema (JSON)
  --plugin BINARY  a resource plugin; its schema is read with 'pulumi package get-schema BINARY'
  --pulumi CLI     the pulumi CLI for --plugin (default: the local environment's, else pulumi on PATH)
  --sdk DIR        the nodejs SDK to compare with (default: ${path.join("node_modules", "@pulumi", "docker")} of this repository)`;

/** The pulumi CLI of the local environment when it is built, else the one on PATH. */
export function defaultPulumi(): string {
    const built = path.join(cacheDir(process.env), "bin", "pulumi");
    return fs.existsSync(built) ? built : "pulumi";
}

/** The schema a plugin binary reports, through the pulumi CLI. */
export function pluginBinarySchema(binary: string, pulumi = defaultPulumi()): unknown {
    const stdout = execFileSync(pulumi, ["package", "get-schema", path.resolve(binary)], {
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true" },
    });
    return JSON.parse(stdout);
}

function main(argv: string[]): number {
    const opts: Record<string, string> = {};
    for (let i = 0; i < argv.length; i++) {
        const m = /^--(schema|plugin|pulumi|sdk)(?:=(.*))?$/.exec(argv[i]);
        const value = m?.[2] ?? argv[i + 1];
        if (!m || value === undefined || (m[2] === undefined && value.startsWith("--"))) {
            process.stderr.write(`${USAGE}\n`);
            return 2;
        }
        opts[m[1]] = value;
        if (m[2] === undefined) i++;
    }
    if (Boolean(opts.schema) === Boolean(opts.plugin)) {
        process.stderr.write(`${USAGE}\n`);
        return 2;
    }
    const sdkDir = path.resolve(opts.sdk ?? path.join(REPO_ROOT, "node_modules", "@pulumi", "docker"));
    let declared: SchemaShape;
    let actual: SchemaShape;
    try {
        declared = sdkDeclaredSchema(sdkDir);
    } catch (err) {
        process.stderr.write(`error: cannot read the SDK at ${sdkDir}: ${(err as Error).message} — run 'npm ci' in ${REPO_ROOT}\n`);
        return 2;
    }
    try {
        actual = opts.schema
            ? pluginSchemaShape(JSON.parse(fs.readFileSync(opts.schema, "utf8")), opts.schema)
            : pluginSchemaShape(pluginBinarySchema(opts.plugin, opts.pulumi), opts.plugin);
    } catch (err) {
        const e = err as Error & { stderr?: string };
        const detail = (e.stderr ?? "").trim() || e.message;
        process.stderr.write(`error: cannot read the schema of ${opts.schema ?? opts.plugin}: ${detail}\n`);
        return 2;
    }
    const differences = compareSchemas(declared, actual);
    const tty = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
    const colour = (code: number, text: string) => (tty ? `\u001b[${code}m${text}\u001b[0m` : text);
    for (const d of differences) process.stdout.write(`${d}\n`);
    const counted = `${Object.keys(declared.resources).length} resources, ${Object.keys(declared.functions).length} functions`;
    if (differences.length === 0) {
        process.stdout.write(`${colour(32, "conforms:")} ${actual.source} has everything ${declared.source} declares (${counted})\n`);
        return 0;
    }
    const n = differences.length;
    process.stdout.write(
        `${colour(31, `${n} difference${n === 1 ? "" : "s"}`)} between ${actual.source} and ${declared.source} (${counted})\n`,
    );
    return 1;
}

if (require.main === module) {
    try {
        process.exitCode = main(process.argv.slice(2));
    } catch (err) {
        process.stderr.write(`error: the check failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        process.exitCode = 2;
    }
}
