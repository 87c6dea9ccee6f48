// The errors of building a container's configuration and setting up its volumes, worded like the kubelet's.

/**
 * Thrown when a container's configuration cannot be built (a missing ConfigMap, Secret or key, an
 * unsupported fieldPath). The kubelet reports it as the container's waiting reason `CreateContainerConfigError`.
 */
export class CreateContainerConfigError extends Error {
  override readonly name = "CreateContainerConfigError";
  readonly code = "CreateContainerConfigError";

  constructor(
    message: string,
    readonly container: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Thrown when a pod volume cannot be set up (missing source object, failed hostPath type check, unbound
 * claim). The message is the kubelet's `MountVolume.SetUp failed for volume "<name>" : <detail>`.
 */
export class VolumeSetupError extends Error {
  override readonly name = "VolumeSetupError";
  readonly code = "FailedMount";

  constructor(
    readonly volume: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${detail}`, options);
  }
}

/** Whether err is a CreateContainerConfigError. */
export function isCreateContainerConfigError(err: unknown): err is CreateContainerConfigError {
  return err instanceof CreateContainerConfigError;
}

/** Whether err is a VolumeSetupError. */
export function isVolumeSetupError(err: unknown): err is VolumeSetupError {
  return err instanceof VolumeSetupError;
}
