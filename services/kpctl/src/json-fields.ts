// Safe reads of fields of Kubernetes JSON objects: libs/api's helpers (the table columns share them), under kpctl's import path.
import { jsonFields } from "@kubeplane/api";

export const { isRecord, at, str, num, arr, rec, mapText, jsonEqual } = jsonFields;
