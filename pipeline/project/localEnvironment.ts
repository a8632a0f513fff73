// Read here by the release workflow; defined in core so the program can read them too.
export { cacheDir, localSigning, readEnvFile } from "../../core/localCache";
export { defaultRegistry, localRegistry } from "../../core/registryLogin";
