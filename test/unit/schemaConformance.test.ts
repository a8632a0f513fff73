import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    compareSchemas,
    pluginSchemaShape,
    Properties,
    SchemaShape,
    sdkDeclaredSchema,
    sdkTypeName,
} from "../../scripts/env/provider-docker/schemaConformance";

const SDK_DIR = path.join(__dirname, "..", "..", "node_modules", "@pulumi", "docker");
const SDK = "@pulumi/docker 4.6.2";
const NETWORK = "docker:index/network:Network";
const GET_REGISTRY_IMAGE = "docker:index/getRegistryImage:getRegistryImage";

/** The SDK's declarations narrowed to some resources and functions (no provider, no config). */
function only(declared: SchemaShape, resources: string[], functions: string[]): SchemaShape {
    const pick = <T>(all: Readonly<Record<string, T>>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, all[k]]));
    return {
        ...declared,
        resources: pick(declared.resources, resources),
        functions: pick(declared.functions, functions),
        provider: undefined,
        config: undefined,
    };
}

/**
 * A plugin schema for Network and getRegistryImage, written from what
 * network.d.ts, getRegistryImage.d.ts and types/{input,output}.d.ts of
 * @pulumi/docker 4.6.2 declare. A new copy each call, for the tests to break.
 */
function networkSchema() {
    const labelList = { type: "array", items: { $ref: "#/types/docker:index/NetworkLabel:NetworkLabel" } };
    const stringMap = { type: "object", additionalProperties: { type: "string" } };
    const networkInputs = {
        attachable: { type: "boolean" },
        checkDuplicate: { type: "boolean" },
        driver: { type: "string" },
        ingress: { type: "boolean" },
        internal: { type: "boolean" },
        ipamConfigs: { type: "array", items: { $ref: "#/types/docker:index/NetworkIpamConfig:NetworkIpamConfig" } },
        ipamDriver: { type: "string" },
        ipamOptions: stringMap,
        ipv6: { type: "boolean" },
        labels: labelList,
        name: { type: "string" },
        options: stringMap,
    };
    return {
        name: "docker",
        resources: {
            [NETWORK]: {
                inputProperties: networkInputs,
                requiredInputs: [] as string[],
                properties: { ...networkInputs, scope: { type: "string" } },
                required: ["driver", "internal", "ipamConfigs", "name", "options", "scope"],
            },
        },
        functions: {
            [GET_REGISTRY_IMAGE]: {
                inputs: { properties: { insecureSkipVerify: { type: "boolean" }, name: { type: "string" } }, required: ["name"] },
                outputs: {
                    properties: {
                        id: { type: "string" },
                        insecureSkipVerify: { type: "boolean" },
                        name: { type: "string" },
                        sha256Digest: { type: "string" },
                    },
                    required: ["id", "name", "sha256Digest"],
                },
            },
        },
        types: {
            "docker:index/NetworkIpamConfig:NetworkIpamConfig": {
                type: "object",
                properties: { auxAddress: stringMap, gateway: { type: "string" }, ipRange: { type: "string" }, subnet: { type: "string" } },
            },
            "docker:index/NetworkLabel:NetworkLabel": {
                type: "object",
                properties: { label: { type: "string" }, value: { type: "string" } },
                required: ["label", "value"],
            },
        },
    };
}

describe("the docker plugin's schema against @pulumi/docker's declarations", () => {
    const declared = sdkDeclaredSchema(SDK_DIR);
    const subset = only(declared, [NETWORK], [GET_REGISTRY_IMAGE]);
    const differences = (schema: unknown) => compareSchemas(subset, pluginSchemaShape(schema));

    describe("what the installed SDK declares", () => {
        it("names itself and finds the 11 resources, the provider and the 5 functions", () => {
            assert.strictEqual(declared.source, SDK);
            assert.strictEqual(Object.keys(declared.resources).length, 11);
            assert.strictEqual(Object.keys(declared.functions).length, 5);
            assert.strictEqual(declared.provider?.token, "pulumi:providers:docker");
            assert.deepStrictEqual(declared.provider?.inputs.registryAuth, { type: "array<object:ProviderRegistryAuth>", required: false });
            assert.deepStrictEqual(declared.config?.registryAuth, { type: "array<object:config.RegistryAuth>", required: false });
        });

        it("Image: imageName is a required input, repoDigest an output always present, build a DockerBuild with an enum", () => {
            const image = declared.resources["docker:index/image:Image"];
            assert.ok(image, "docker:index/image:Image");
            assert.deepStrictEqual(image.inputs.imageName, { type: "string", required: true });
            assert.deepStrictEqual(image.inputs.build, { type: "object:DockerBuild", required: false });
            assert.deepStrictEqual(image.outputs.repoDigest, { type: "string", required: true });
            assert.deepStrictEqual(image.outputs.platform, { type: "string", required: false });
            assert.deepStrictEqual(declared.inputTypes.DockerBuild.builderVersion, { type: "enum:BuilderVersion", required: false });
            assert.deepStrictEqual(declared.enums.BuilderVersion, ["BuilderV1", "BuilderBuildKit"]);
        });

        it("RemoteImage: name is required; its build (RemoteImageBuild) has buildArg as a map and labels", () => {
            const remote = declared.resources["docker:index/remoteImage:RemoteImage"];
            assert.deepStrictEqual(remote.inputs.name, { type: "string", required: true });
            assert.deepStrictEqual(remote.inputs.build, { type: "object:RemoteImageBuild", required: false });
            const build = declared.inputTypes.RemoteImageBuild;
            assert.deepStrictEqual(build.buildArg, { type: "map<string>", required: false });
            assert.deepStrictEqual(build.labels, { type: "map<string>", required: false });
            assert.deepStrictEqual(build.context, { type: "string", required: true });
        });

        it("Network has the input checkDuplicate; Container's name is optional", () => {
            assert.deepStrictEqual(declared.resources[NETWORK].inputs.checkDuplicate, { type: "boolean", required: false });
            assert.deepStrictEqual(declared.resources["docker:index/container:Container"].inputs.name, { type: "string", required: false });
        });

        it("getRegistryImage: name in, sha256Digest out; output types keep their own required properties", () => {
            const fn = declared.functions[GET_REGISTRY_IMAGE];
            assert.ok(fn, GET_REGISTRY_IMAGE);
            assert.deepStrictEqual(fn.inputs.name, { type: "string", required: true });
            assert.deepStrictEqual(fn.outputs.sha256Digest, { type: "string", required: true });
            // ContainerPort.external: optional to send, always there when read.
            assert.strictEqual(declared.inputTypes.ContainerPort.external.required, false);
            assert.strictEqual(declared.outputTypes.ContainerPort.external.required, true);
        });
    });

    describe("the comparison", () => {
        it("finds no difference in a schema that has exactly what the SDK declares", () => {
            assert.deepStrictEqual(differences(networkSchema()), []);
        });

        it("allows extra resources, functions and optional properties", () => {
            const s = networkSchema() as ReturnType<typeof networkSchema> & Record<string, unknown>;
            const r = s.resources[NETWORK] as { inputProperties: Record<string, unknown>; properties: Record<string, unknown> };
            r.inputProperties.extra = { type: "string" };
            r.properties.extra = { type: "string" };
            (s.resources as Record<string, unknown>)["docker:index/extra:Extra"] = { inputProperties: {}, properties: {} };
            assert.deepStrictEqual(differences(s), []);
        });

        it("reports a missing resource and a missing function", () => {
            const s = networkSchema();
            delete (s.resources as Record<string, unknown>)[NETWORK];
            delete (s.functions as Record<string, unknown>)[GET_REGISTRY_IMAGE];
            assert.deepStrictEqual(differences(s), [`resource ${NETWORK} is missing`, `function ${GET_REGISTRY_IMAGE} is missing`]);
        });

        it("reports a missing input and a missing function output", () => {
            const s = networkSchema();
            delete (s.resources[NETWORK].inputProperties as Record<string, unknown>).checkDuplicate;
            delete (s.functions[GET_REGISTRY_IMAGE].outputs.properties as Record<string, unknown>).sha256Digest;
            assert.deepStrictEqual(differences(s), [
                `${NETWORK} input checkDuplicate is missing`,
                `function ${GET_REGISTRY_IMAGE} output sha256Digest is missing`,
            ]);
        });

        it("reports a wrong type, naming both", () => {
            const s = networkSchema();
            s.resources[NETWORK].inputProperties.options = { type: "string" } as never;
            s.types["docker:index/NetworkIpamConfig:NetworkIpamConfig"].properties.auxAddress = { type: "string" } as never;
            assert.deepStrictEqual(differences(s), [
                `${NETWORK} input options: type string in the plugin, map<string> in ${SDK}`,
                `type NetworkIpamConfig property auxAddress: type string in the plugin, map<string> in ${SDK}`,
            ]);
        });

        it("reports required-ness both ways for inputs, and an output the SDK says is always there", () => {
            const s = networkSchema();
            s.resources[NETWORK].requiredInputs = ["name"];
            s.functions[GET_REGISTRY_IMAGE].inputs.required = [];
            s.resources[NETWORK].required = s.resources[NETWORK].required.filter((p) => p !== "scope");
            assert.deepStrictEqual(differences(s), [
                `${NETWORK} input name: required in the plugin, optional in ${SDK}`,
                `${NETWORK} output scope: may be absent in the plugin, always present in ${SDK}`,
                `function ${GET_REGISTRY_IMAGE} input name: optional in the plugin, required in ${SDK} (the official plugin refuses a program without it)`,
            ]);
        });

        it("allows an output the SDK says may be absent to be always present", () => {
            const s = networkSchema();
            s.resources[NETWORK].required.push("attachable");
            assert.deepStrictEqual(differences(s), []);
        });

        it("reports an input the plugin requires that the SDK cannot send", () => {
            const s = networkSchema();
            (s.resources[NETWORK].inputProperties as Record<string, unknown>).scope = { type: "string" };
            s.resources[NETWORK].requiredInputs = ["scope"];
            assert.deepStrictEqual(differences(s), [`${NETWORK} input scope is required by the plugin but unknown to ${SDK}`]);
        });

        it("reports a nested type's missing property once, and a missing type", () => {
            const s = networkSchema();
            delete (s.types["docker:index/NetworkLabel:NetworkLabel"].properties as Record<string, unknown>).value;
            delete (s.types as Record<string, unknown>)["docker:index/NetworkIpamConfig:NetworkIpamConfig"];
            assert.deepStrictEqual(differences(s), ["type NetworkIpamConfig is missing", "type NetworkLabel property value is missing"]);
        });

        it("says once that a nested type's property is not required where the SDK needs it on both sides", () => {
            const s = networkSchema();
            s.types["docker:index/NetworkLabel:NetworkLabel"].required = ["label"];
            assert.deepStrictEqual(differences(s), [
                `type NetworkLabel property value: optional in the plugin, required in ${SDK} as an input and always present as an output`,
            ]);
        });

        it("says which side of a type differs when only one does (language.nodejs.requiredOutputs)", () => {
            const s = networkSchema();
            (s.types["docker:index/NetworkLabel:NetworkLabel"] as Record<string, unknown>).language = {
                nodejs: { requiredOutputs: ["label"] },
            };
            assert.deepStrictEqual(differences(s), [
                `type NetworkLabel output property value: may be absent in the plugin, always present in ${SDK}`,
            ]);
        });

        it("reports an enum value the plugin lacks", () => {
            const image = only(declared, ["docker:index/image:Image"], []);
            const shape = pluginSchemaShape({});
            const plugin: SchemaShape = {
                ...shape,
                resources: { "docker:index/image:Image": declared.resources["docker:index/image:Image"] },
                inputTypes: declared.inputTypes,
                outputTypes: declared.outputTypes,
                enums: { BuilderVersion: ["BuilderV1"] },
            };
            assert.deepStrictEqual(compareSchemas(image, plugin), ["enum BuilderVersion value BuilderBuildKit is missing"]);
        });

        it("reads every SDK declaration back from a schema written from it without a difference", () => {
            assert.deepStrictEqual(compareSchemas(declared, pluginSchemaShape(schemaOf(declared))), []);
        });
    });

    describe("reading schema types", () => {
        it("names types as the SDK does", () => {
            assert.strictEqual(sdkTypeName("docker:index/remoteImageBuild:RemoteImageBuild"), "RemoteImageBuild");
            assert.strictEqual(sdkTypeName("docker:config/registryAuth:registryAuth"), "config.RegistryAuth");
            assert.strictEqual(sdkTypeName("docker:index/getNetworkIpamConfig:getNetworkIpamConfig"), "GetNetworkIpamConfig");
        });

        it("integer is number, additionalProperties a map, pulumi.json refs any/asset/archive", () => {
            const shape = pluginSchemaShape({
                name: "x",
                resources: {
                    "x:index/r:R": {
                        inputProperties: {
                            i: { type: "integer" },
                            m: { type: "object", additionalProperties: { type: "array", items: { type: "number" } } },
                            plainMap: { type: "object" },
                            a: { $ref: "pulumi.json#/Any" },
                            asset: { $ref: "pulumi.json#/Asset" },
                            archive: { $ref: "pulumi.json#/Archive" },
                            e: { $ref: "#/types/x:index/kind:Kind" },
                        },
                        requiredInputs: ["i"],
                    },
                },
                types: { "x:index/kind:Kind": { type: "string", enum: [{ value: "A" }, { name: "B", value: "B" }] } },
            });
            const inputs: Properties = shape.resources["x:index/r:R"].inputs;
            assert.deepStrictEqual(Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, `${v.type}${v.required ? "!" : ""}`])), {
                i: "number!",
                m: "map<array<number>>",
                plainMap: "map<string>",
                a: "any",
                asset: "asset",
                archive: "archive",
                e: "enum:Kind",
            });
            assert.deepStrictEqual(shape.enums.Kind, ["A", "B"]);
        });
    });

    describe("reading an SDK's declarations", () => {
        let dir: string;
        before(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-schema-sdk-"));
            fs.mkdirSync(path.join(dir, "types"));
            fs.writeFileSync(
                path.join(dir, "package.json"),
                JSON.stringify({ name: "@pulumi/x", version: "1.2.3", pulumi: { name: "x" } }),
            );
            fs.writeFileSync(
                path.join(dir, "thing.d.ts"),
                `import * as pulumi from "@pulumi/pulumi";
import * as inputs from "./types/input";
import * as outputs from "./types/output";
export declare class Thing extends pulumi.CustomResource {
    static get(name: string, id: pulumi.Input<pulumi.ID>): Thing;
    static isInstance(obj: any): obj is Thing;
    readonly code: pulumi.Output<pulumi.asset.Asset | pulumi.asset.Archive>;
    readonly spec: pulumi.Output<outputs.Spec | undefined>;
    readonly data: pulumi.Output<any>;
    constructor(name: string, args: ThingArgs, opts?: pulumi.CustomResourceOptions);
}
export interface ThingArgs {
    code: pulumi.Input<pulumi.asset.Asset | pulumi.asset.Archive>;
    bundle?: pulumi.Input<pulumi.asset.Archive>;
    spec?: pulumi.Input<inputs.SpecArgs>;
    sizes?: pulumi.Input<pulumi.Input<number>[]>;
}
export declare function listThings(opts?: pulumi.InvokeOptions): Promise<ListThingsResult>;
export interface ListThingsResult {
    readonly names: string[];
}
`,
            );
            fs.writeFileSync(
                path.join(dir, "thing.js"),
                `class Thing {}\nThing.__pulumiType = 'x:index/thing:Thing';\nfunction listThings(opts) {\n    return pulumi.runtime.invoke("x:index/listThings:listThings", {}, opts);\n}\n`,
            );
            fs.writeFileSync(
                path.join(dir, "types", "input.d.ts"),
                "export interface Spec {\n    size: number;\n}\nexport interface SpecArgs {\n    size: pulumi.Input<number>;\n}\n",
            );
            fs.writeFileSync(path.join(dir, "types", "output.d.ts"), "export interface Spec {\n    size?: number;\n}\n");
        });
        after(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("reads assets, archives, any, an argument-less function and the FooArgs form of a plain-and-input type", () => {
            const shape = sdkDeclaredSchema(dir);
            assert.strictEqual(shape.source, "@pulumi/x 1.2.3");
            assert.deepStrictEqual(shape.resources["x:index/thing:Thing"], {
                token: "x:index/thing:Thing",
                inputs: {
                    code: { type: "asset", required: true },
                    bundle: { type: "archive", required: false },
                    spec: { type: "object:Spec", required: false },
                    sizes: { type: "array<number>", required: false },
                },
                outputs: {
                    code: { type: "asset", required: true },
                    spec: { type: "object:Spec", required: false },
                    data: { type: "any", required: true },
                },
            });
            assert.deepStrictEqual(shape.functions["x:index/listThings:listThings"], {
                token: "x:index/listThings:listThings",
                inputs: {},
                outputs: { names: { type: "array<string>", required: true } },
            });
            assert.deepStrictEqual(shape.inputTypes.Spec, { size: { type: "number", required: true } });
            assert.deepStrictEqual(shape.outputTypes.Spec, { size: { type: "number", required: false } });
        });

        it("says which declaration it cannot read, and where", () => {
            fs.writeFileSync(
                path.join(dir, "odd.d.ts"),
                "export interface OddArgs {}\nexport declare function odd(args: OddArgs): Promise<Set<string>>;\n",
            );
            fs.writeFileSync(path.join(dir, "odd.js"), 'function odd(args) { return pulumi.runtime.invoke("x:index/odd:odd", {}); }\n');
            try {
                assert.throws(
                    () => sdkDeclaredSchema(dir),
                    /^Error: odd\.d\.ts:2: an argument or result interface not declared in the same file: Set<string>$/,
                );
            } finally {
                fs.rmSync(path.join(dir, "odd.d.ts"));
                fs.rmSync(path.join(dir, "odd.js"));
            }
        });
    });
});

/** A normalised type back as schema JSON (the inverse of pluginSchemaShape's reading). */
function typeSpec(type: string, pkg: string): Record<string, unknown> {
    const inner = /^(array|map)<(.*)>$/.exec(type);
    if (inner) {
        return inner[1] === "array"
            ? { type: "array", items: typeSpec(inner[2], pkg) }
            : { type: "object", additionalProperties: typeSpec(inner[2], pkg) };
    }
    const ref = /^(object|enum):(.+)$/.exec(type);
    if (ref) return { $ref: `#/types/${typeToken(ref[2], pkg)}` };
    if (type === "any" || type === "asset" || type === "archive") {
        return { $ref: `pulumi.json#/${type === "any" ? "Any" : type === "asset" ? "Asset" : "Archive"}` };
    }
    return { type };
}

function typeToken(name: string, pkg: string): string {
    const dot = name.lastIndexOf(".");
    return dot < 0 ? `${pkg}:index/${name}:${name}` : `${pkg}:${name.slice(0, dot)}/${name.slice(dot + 1)}:${name.slice(dot + 1)}`;
}

/** A schema with exactly what a shape holds: the SDK's declarations written as a plugin would report them. */
function schemaOf(shape: SchemaShape): unknown {
    const pkg = "docker";
    const props = (p: Properties) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, typeSpec(v.type, pkg)]));
    const required = (p: Properties) => Object.keys(p).filter((k) => p[k].required);
    const resource = (r: { inputs: Properties; outputs: Properties }) => ({
        inputProperties: props(r.inputs),
        requiredInputs: required(r.inputs),
        properties: props(r.outputs),
        required: required(r.outputs),
    });
    const types: Record<string, unknown> = {};
    for (const name of new Set([...Object.keys(shape.inputTypes), ...Object.keys(shape.outputTypes)])) {
        const input = shape.inputTypes[name] ?? {};
        const output = shape.outputTypes[name] ?? {};
        types[typeToken(name, pkg)] = {
            type: "object",
            properties: props({ ...output, ...input }),
            language: { nodejs: { requiredInputs: required(input), requiredOutputs: required(output) } },
        };
    }
    for (const [name, values] of Object.entries(shape.enums)) {
        types[typeToken(name, pkg)] = { type: "string", enum: values.map((value) => ({ value })) };
    }
    return {
        name: pkg,
        config: { variables: props(shape.config ?? {}) },
        provider: shape.provider && resource(shape.provider),
        resources: Object.fromEntries(Object.entries(shape.resources).map(([t, r]) => [t, resource(r)])),
        functions: Object.fromEntries(
            Object.entries(shape.functions).map(([t, f]) => [
                t,
                {
                    inputs: { properties: props(f.inputs), required: required(f.inputs) },
                    outputs: { properties: props(f.outputs), required: required(f.outputs) },
                },
            ]),
        ),
        types,
    };
}
