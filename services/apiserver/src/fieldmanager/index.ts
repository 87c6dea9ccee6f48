// The field manager (server-side apply's field ownership): field sets, managedFields, Update and Apply.
export { FieldSet, FieldsV1Error, pathString, type PathElement } from "./field-set.js";
export { applyConfiguration, fieldsTime, manageUpdate, type ApplyRequest, type FieldManagerRef, type UpdateWrite } from "./field-manager.js";
export { ANCIENT_CHANGES_MANAGER, MAX_UPDATE_MANAGERS, capUpdateManagers, conflictError, decodeManagedFields, encodeManagedFields, managerIdentity, recordUpdate, type ManagedFieldsEntryLike, type ManagerEntry, type Managers } from "./managed-fields.js";
export { compareObjects, fieldSetOf, type Comparison, type ValueMode } from "./walk.js";
