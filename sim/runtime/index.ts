export { ContainerConfigError, containerArgv, containerEnvironment, expandReferences } from './env.ts';
export { awsCliDirectory, podPath, SYSTEM_PATH } from './host-path.ts';
export { type MountMapping, mountMappings, rewriteMountPaths, volumeDirectory } from './paths.ts';
export { ContainerLog, ExecTargetError, PodRuntime } from './pod-runtime.ts';
export { GroupProcess, type ProcessExit } from './process.ts';
export type { ExecOptions, PodEvent, PodRuntimeHost, PodRuntimeOptions } from './types.ts';
export { materialiseVolume, VolumeMountError, writeAtomically } from './volumes.ts';
