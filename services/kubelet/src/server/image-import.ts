// The kubelet's image handlers: an image archive streamed in is loaded into containerd (as `ctr images import`), and the runtime's images listed.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { promisify } from "node:util";
import type { sendUnaryData, ServerReadableStream, ServerUnaryCall } from "@grpc/grpc-js";
import { apiErrors, isApiError, toGrpcStatus, type kubeletV1 } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import type { ImageService } from "../runtime/types.js";

const execFileAsync = promisify(execFile);
/** containerd's namespace of the CRI plugin: images imported there are the ones pods can use. */
const CRI_NAMESPACE = "k8s.io";

/** What importing needs: containerd's socket, a scratch directory, and the CRI image service for listing. */
export interface ImageImportDeps {
  /** The runtime endpoint (`unix:///run/containerd/containerd.sock`). */
  runtimeEndpoint: string;
  /** Archives are spooled here while they arrive (under the kubelet's root directory). */
  scratchDir: string;
  images: Pick<ImageService, "listImages">;
  logger: Logger;
}

/** A failed import, with ctr's own words. */
export class ImageImportError extends Error {
  override readonly name = "ImageImportError";
  readonly code = "EIMAGEIMPORT";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Loads one archive file (OCI image layout or docker-archive tar) into containerd's CRI namespace,
 * unpacked for the overlayfs snapshotter; resolves with the image names it held. Throws
 * ImageImportError when ctr refuses the archive.
 */
export async function importImageArchive(runtimeEndpoint: string, file: string): Promise<string[]> {
  const address = runtimeEndpoint.replace(/^unix:\/\//, "");
  try {
    const { stdout } = await execFileAsync("ctr", ["--address", address, "--namespace", CRI_NAMESPACE, "images", "import", "--snapshotter", "overlayfs", file], { maxBuffer: 16 * 1024 * 1024 });
    // ctr prints "unpacking NAME (sha256:…)...done" for each image it stored.
    return [...stdout.matchAll(/^unpacking (\S+) \(/gm)].map((m) => m[1]!);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new ImageImportError(`importing ${file}: ${(e.stderr || e.message).trim()}`, { cause: err });
  }
}

/**
 * Imports every `*.tar` of `dir` (k3s' airgap images directory), oldest name first; a missing
 * directory is nothing to import. A bad archive is logged and skipped: the others still load.
 */
export async function importAirgapImages(runtimeEndpoint: string, dir: string, logger: Logger): Promise<string[]> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(".tar")).sort();
  const imported: string[] = [];
  for (const f of files) {
    try {
      const names = await importImageArchive(runtimeEndpoint, join(dir, f));
      imported.push(...names);
      logger.info({ file: f, images: names }, "airgap images imported");
    } catch (err) {
      logger.warn({ err: (err as Error).message, file: f }, "airgap image archive not imported");
    }
  }
  return imported;
}

/** The ImportImages (client stream) and ListImages handlers of KubeletService. */
export function imageHandlers(deps: ImageImportDeps): Pick<kubeletV1.KubeletServiceServer, "importImages" | "listImages"> {
  const fail = (err: unknown): ReturnType<typeof toGrpcStatus> => {
    if (isApiError(err)) return toGrpcStatus(err);
    deps.logger.warn({ err: (err as Error).message }, "image import failed");
    return toGrpcStatus(err instanceof ImageImportError ? apiErrors.badRequest(err.message) : apiErrors.internalError(err));
  };
  return {
    importImages(call: ServerReadableStream<kubeletV1.ImageArchiveChunk, kubeletV1.ImportImagesResponse>, callback: sendUnaryData<kubeletV1.ImportImagesResponse>): void {
      const file = join(deps.scratchDir, `import-${randomUUID()}.tar`);
      const work = async (): Promise<kubeletV1.ImportImagesResponse> => {
        await mkdir(deps.scratchDir, { recursive: true });
        const out = createWriteStream(file);
        try {
          for await (const chunk of call as AsyncIterable<kubeletV1.ImageArchiveChunk>) {
            if (!out.write(chunk.data)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
          }
        } finally {
          out.end();
          await finished(out);
        }
        const images = await importImageArchive(deps.runtimeEndpoint, file);
        deps.logger.info({ images }, "images imported");
        return { images };
      };
      work().then(
        (res) => callback(null, res),
        (err: unknown) => callback(fail(err), null),
      ).finally(() => void rm(file, { force: true }));
    },
    listImages(_call: ServerUnaryCall<kubeletV1.ListImagesRequest, kubeletV1.ListImagesResponse>, callback: sendUnaryData<kubeletV1.ListImagesResponse>): void {
      deps.images.listImages().then(
        (images) => callback(null, { images: images.map((i) => ({ id: i.id, repoTags: i.repoTags, repoDigests: i.repoDigests, size: i.size })) }),
        (err: unknown) => callback(fail(err), null),
      );
    },
  };
}
