// The few Reflect metadata functions tsyringe (under @peculiar/x509) needs, when no polyfill is loaded.
// @peculiar/x509 documents `import "reflect-metadata"`; that package is not installed here, and
// tsyringe only stores and reads its own injection-token table, so this small map stands in.

type MetadataMap = Map<unknown, unknown>;
interface ReflectMetadata {
  getMetadata?: (key: unknown, target: object, property?: PropertyKey) => unknown;
  getOwnMetadata?: (key: unknown, target: object, property?: PropertyKey) => unknown;
  defineMetadata?: (key: unknown, value: unknown, target: object, property?: PropertyKey) => void;
  hasMetadata?: (key: unknown, target: object, property?: PropertyKey) => boolean;
  metadata?: (key: unknown, value: unknown) => (target: object, property?: PropertyKey) => void;
}

const reflect = Reflect as typeof Reflect & ReflectMetadata;

if (typeof reflect.getMetadata !== "function") {
  const store = new WeakMap<object, Map<PropertyKey | undefined, MetadataMap>>();
  const own = (target: object, property: PropertyKey | undefined, create: boolean): MetadataMap | undefined => {
    let byProperty = store.get(target);
    if (byProperty === undefined) {
      if (!create) return undefined;
      byProperty = new Map();
      store.set(target, byProperty);
    }
    let map = byProperty.get(property);
    if (map === undefined && create) {
      map = new Map();
      byProperty.set(property, map);
    }
    return map;
  };
  reflect.getOwnMetadata = (key, target, property) => own(target, property, false)?.get(key);
  reflect.getMetadata = (key, target, property) => {
    for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
      const map = own(t, property, false);
      if (map?.has(key) === true) return map.get(key);
    }
    return undefined;
  };
  reflect.hasMetadata = (key, target, property) => reflect.getMetadata?.(key, target, property) !== undefined;
  reflect.defineMetadata = (key, value, target, property) => {
    own(target, property, true)?.set(key, value);
  };
  reflect.metadata = (key, value) => (target, property) => {
    own(target, property, true)?.set(key, value);
  };
}

export {};
